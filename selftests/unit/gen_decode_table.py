#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# gen_decode_table.py - decode_table.txt -> decode_table.inc (`make regen-table`).
# Assembles every row with GNU as in its mode and takes the bytes from objdump, so the
# test vectors' encodings come from the assembler, not from hand.
import re
import subprocess
import sys
import tempfile
import os

src, dst = sys.argv[1], sys.argv[2]
rows = []
for line in open(src):
    line = line.strip()
    if not line or line.startswith('#'):
        continue
    mode, asm, exp = [x.strip() for x in line.split('|')]
    rows.append((mode, asm, exp))

enc = {}
with tempfile.TemporaryDirectory() as tmp:
    for mode in ('64', '32', '16'):
        items = [r for r in rows if r[0] == mode]
        s = os.path.join(tmp, 't.s')
        o = os.path.join(tmp, 't.o')
        with open(s, 'w') as f:
            f.write('.code%s\n' % mode + ''.join(a + '\n' for _, a, _ in items))
        subprocess.check_call(['as', '--64' if mode == '64' else '--32', '-o', o, s])
        dis = subprocess.check_output(['objdump', '-d', '--insn-width=15'] +
                                      (['-Mi8086'] if mode == '16' else []) + [o]).decode()
        got = [m.group(1).split() for m in
               re.finditer(r'^\s*[0-9a-f]+:\t((?:[0-9a-f]{2} )+)', dis, re.M)]
        if len(got) != len(items):
            sys.exit('%s-bit: %d rows assembled to %d instructions' % (mode, len(items), len(got)))
        for (m, a, e), b in zip(items, got):
            enc[(m, a)] = b

with open(dst, 'w') as f:
    f.write('/* SPDX-License-Identifier: GPL-2.0 */\n')
    f.write('/* Generated from decode_table.txt by gen_decode_table.py: do not edit. */\n')
    for mode, asm, exp in rows:
        b = ', '.join('0x' + x for x in enc[(mode, asm)])
        f.write('{ M%s, "%s", B(%s), %s },\n' % (mode, asm.replace('"', '\\"'), b, exp))
