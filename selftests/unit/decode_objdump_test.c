// SPDX-License-Identifier: GPL-2.0
/*
 * decode_objdump_test.c - the decoder against binutils' disassembler.
 *
 * For each mode, every supported opcode is combined with prefix sets, REX
 * values (64-bit), every ModRM byte with a memory operand and a spread of
 * SIB bytes; each combination is decoded, and the instructions, laid end
 * to end at the lengths we decoded, are disassembled by objdump. objdump
 * must find an instruction at each of our boundaries with our length,
 * call it a MOV, and name the register (or immediate) we found, with the
 * width we found. Skipped with a note when objdump is missing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <linux/types.h>

#include "../../module/x86/decode.h"
#include "unit.h"

struct cand {
	u32 off;			/* offset in the blob */
	struct mkvm_insn insn;
};

static const char *const regs8[] = {
	"al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil",
	"r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b",
};
static const char *const regs8h[] = { "ah", "ch", "dh", "bh" };
static const char *const regs16[] = {
	"ax", "cx", "dx", "bx", "sp", "bp", "si", "di",
	"r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w",
};
static const char *const regs32[] = {
	"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
	"r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d",
};
static const char *const regs64[] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

static const char *reg_name(const struct mkvm_insn *i)
{
	switch (i->reg_size) {
	case 1:
		return i->high8 ? regs8h[i->reg & 3] : regs8[i->reg];
	case 2:
		return regs16[i->reg];
	case 4:
		return regs32[i->reg];
	default:
		return regs64[i->reg];
	}
}

/* Prefix words objdump prints before a mnemonic. */
static bool prefix_word(const char *w, size_t n)
{
	static const char *const words[] = {
		"data16", "data32", "addr16", "addr32", "cs", "ds", "es",
		"ss", "fs", "gs", "rex",
	};
	unsigned int i;

	if (n > 4 && !strncmp(w, "rex.", 4))
		return true;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strlen(words[i]) == n && !strncmp(w, words[i], n))
			return true;
	return false;
}

/* Split "a,b" at the top-level comma (not inside parentheses). */
static bool split_operands(const char *ops, char *first, char *last,
			   size_t n)
{
	const char *p;
	int depth = 0;

	for (p = ops; *p; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')')
			depth--;
		else if (*p == ',' && !depth)
			break;
	}
	if (!*p || (size_t)(p - ops) >= n || strlen(p + 1) >= n)
		return false;
	memcpy(first, ops, p - ops);
	first[p - ops] = 0;
	strcpy(last, p + 1);
	/* objdump appends "# address" comments for RIP-relative operands */
	p = strchr(last, '#');
	if (p)
		last[p - last] = 0;
	while (*last && last[strlen(last) - 1] == ' ')
		last[strlen(last) - 1] = 0;
	return true;
}

/* Does objdump's text for one instruction agree with our decode? */
static bool text_agrees(const char *text, const struct mkvm_insn *i,
			char *why, size_t whylen)
{
	char first[128], last[128], want[16];
	const char *p = text, *sp, *ops, *reg_op, *mem_op;

	/* Skip prefix words. */
	for (;;) {
		sp = strchr(p, ' ');
		if (!sp || !prefix_word(p, sp - p))
			break;
		p = sp + 1;
	}
	if (strncmp(p, "mov", 3)) {
		snprintf(why, whylen, "not a mov");
		return false;
	}
	ops = strchr(p, ' ');
	if (!ops) {
		snprintf(why, whylen, "no operands");
		return false;
	}
	while (*ops == ' ')
		ops++;
	if (!split_operands(ops, first, last, sizeof(first))) {
		snprintf(why, whylen, "cannot split operands");
		return false;
	}
	reg_op = i->write ? first : last;
	mem_op = i->write ? last : first;
	if (mem_op[0] == '%' && !strchr(mem_op, ':')) {
		snprintf(why, whylen, "memory operand is a register");
		return false;
	}
	if (i->has_imm) {
		if (reg_op[0] != '$' ||
		    strtoull(reg_op + 1, NULL, 0) != i->imm) {
			snprintf(why, whylen, "immediate %#llx",
				 (unsigned long long)i->imm);
			return false;
		}
		return true;
	}
	snprintf(want, sizeof(want), "%%%s", reg_name(i));
	if (strcmp(reg_op, want)) {
		snprintf(why, whylen, "register %s", want);
		return false;
	}
	return true;
}

struct gen {
	enum mkvm_cpu_mode mode;
	u8 *blob;
	struct cand *cands;
	unsigned int n, cap;
	size_t blob_len, blob_cap;
	unsigned int refused;
};

/* Decode one combination; queue it for objdump when supported. */
static void add(struct gen *g, const u8 *bytes, unsigned int n)
{
	struct mkvm_insn insn;
	int r;

	r = mkvm_decode_mmio(bytes, n, g->mode, &insn);
	if (r) {
		g->refused++;
		return;
	}
	if (g->n == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 4096;
		g->cands = realloc(g->cands, g->cap * sizeof(*g->cands));
	}
	if (g->blob_len + MKVM_INSN_MAX_LEN > g->blob_cap) {
		g->blob_cap = g->blob_cap ? 2 * g->blob_cap : 65536;
		g->blob = realloc(g->blob, g->blob_cap);
	}
	if (!g->cands || !g->blob)
		abort();
	g->cands[g->n].off = g->blob_len;
	g->cands[g->n].insn = insn;
	g->n++;
	memcpy(g->blob + g->blob_len, bytes, insn.len);
	g->blob_len += insn.len;
}

static void generate(struct gen *g)
{
	static const u8 pfx[][3] = {	/* count, bytes */
		{ 0 }, { 1, 0x66 }, { 1, 0x67 }, { 2, 0x66, 0x67 },
		{ 2, 0x65, 0x66 },
	};
	static const u8 rex64[] = { 0, 0x40, 0x41, 0x44, 0x48, 0x4d };
	static const u8 ops[][2] = {	/* count, bytes (0F xx: 2) */
		{ 0x88 }, { 0x89 }, { 0x8a }, { 0x8b }, { 0xc6 }, { 0xc7 },
		{ 0x63 }, { 0x0f, 0xb6 }, { 0x0f, 0xb7 }, { 0x0f, 0xbe },
		{ 0x0f, 0xbf },
	};
	static const u8 sibs[] = { 0x24, 0x25, 0xe5, 0x1c };
	static const u8 filler[] = {
		0x78, 0x56, 0x34, 0x92, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
		0x77, 0x88, 0x99, 0xaa, 0xbb,
	};
	unsigned int p, x, o, m, s, nrex = g->mode == MKVM_MODE_64 ? 6 : 1;

	for (p = 0; p < sizeof(pfx) / sizeof(pfx[0]); p++) {
		for (x = 0; x < nrex; x++) {
			u8 head[8];
			unsigned int h = 0;

			memcpy(head, pfx[p] + 1, pfx[p][0]);
			h = pfx[p][0];
			if (rex64[x])
				head[h++] = rex64[x];

			/* moffs forms */
			for (o = 0xa0; o <= 0xa3; o++) {
				u8 b[32];

				memcpy(b, head, h);
				b[h] = o;
				memcpy(b + h + 1, filler, sizeof(filler));
				add(g, b, MKVM_INSN_MAX_LEN);
			}
			for (o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
				unsigned int ol = ops[o][0] == 0x0f ? 2 : 1;

				for (m = 0; m < 0xc0; m++) {
					unsigned int ns = (m & 7) == 4 ? 4 : 1;

					/* C6/C7 /1../7 are not MOV */
					if (ops[o][0] >= 0xc6 && ops[o][0] <= 0xc7 &&
					    (m & 0x38))
						continue;
					for (s = 0; s < ns; s++) {
						u8 b[40];
						unsigned int k = h;

						memcpy(b, head, h);
						memcpy(b + k, ops[o], ol);
						k += ol;
						b[k++] = m;
						if (ns > 1)
							b[k++] = sibs[s];
						memcpy(b + k, filler, sizeof(filler));
						add(g, b, MKVM_INSN_MAX_LEN);
					}
				}
			}
		}
	}
}

/* Run objdump over the blob; compare. Returns mismatches, or -1. */
static int compare(struct gen *g, const char *arch, unsigned int *checked)
{
	char path[] = "/tmp/mkvm-decode-XXXXXX", cmd[256], line[512];
	unsigned int next = 0, bad = 0;
	FILE *f;
	int fd;

	fd = mkstemp(path);
	if (fd < 0 || write(fd, g->blob, g->blob_len) != (ssize_t)g->blob_len)
		return -1;
	close(fd);
	snprintf(cmd, sizeof(cmd),
		 "objdump -D -b binary -m %s --insn-width=16 %s", arch, path);
	f = popen(cmd, "r");
	if (!f) {
		unlink(path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *tab1, *tab2, why[64];
		unsigned long off;
		unsigned int nbytes = 0;
		const struct cand *c;
		char *p;

		/* "    1c:\t40 89 07   \trex mov %eax,(%rdi)" */
		tab1 = strchr(line, '\t');
		if (!tab1 || tab1 == line || tab1[-1] != ':')
			continue;
		off = strtoul(line, NULL, 16);
		tab2 = strchr(tab1 + 1, '\t');
		for (p = tab1 + 1; p && *p && (!tab2 || p < tab2); p++)
			if (*p != ' ' && (p[1] == ' ' || p[1] == '\t'))
				nbytes++;
		if (tab2)
			tab2[strcspn(tab2, "\n")] = 0;
		while (next < g->n && g->cands[next].off < off) {
			if (bad++ < 5)
				printf("     objdump skipped our boundary at %#x\n",
				       g->cands[next].off);
			next++;
		}
		if (next >= g->n || g->cands[next].off != off)
			continue;	/* inside a misdecoded stretch */
		c = &g->cands[next++];
		(*checked)++;
		if (nbytes != c->insn.len) {
			if (bad++ < 5)
				printf("     %#lx: objdump %u bytes, we %u:%s\n",
				       off, nbytes, c->insn.len,
				       tab2 ? tab2 : "");
			continue;
		}
		if (!tab2 || !text_agrees(tab2 + 1, &c->insn, why,
					  sizeof(why))) {
			if (bad++ < 5)
				printf("     %#lx: objdump says \"%s\": %s\n",
				       off, tab2 ? tab2 + 1 : "?", why);
		}
	}
	pclose(f);
	unlink(path);
	bad += g->n - next;
	return bad;
}

void decode_objdump_tests(void)
{
	static const struct {
		enum mkvm_cpu_mode mode;
		const char *arch, *name;
	} modes[] = {
		{ MKVM_MODE_64, "i386:x86-64", "64-bit" },
		{ MKVM_MODE_32, "i386", "32-bit" },
		{ MKVM_MODE_16, "i8086", "16-bit" },
	};
	unsigned int i;

	if (system("objdump --version >/dev/null 2>&1")) {
		printf("     objdump not found: differential test skipped\n");
		return;
	}
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		struct gen g = { .mode = modes[i].mode };
		unsigned int checked = 0;
		int bad;

		generate(&g);
		t_begin("decode vs objdump, %s: %u encodings (%u refused)",
			modes[i].name, g.n, g.refused);
		bad = compare(&g, modes[i].arch, &checked);
		CHECKF(bad == 0, "%d of %u disagree", bad, g.n);
		CHECKF(checked == g.n, "objdump checked %u of %u", checked,
		       g.n);
		/* Only 63 (ARPL) is refused outside 64-bit mode. */
		CHECKF(g.refused == (g.mode == MKVM_MODE_64 ? 0 : 5 * 264),
		       "%u refused", g.refused);
		if (unit_verbose)
			printf("     %u encodings, %u refused\n", g.n,
			       g.refused);
		t_end();
		free(g.blob);
		free(g.cands);
	}
}
