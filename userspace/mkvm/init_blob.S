/* SPDX-License-Identifier: GPL-2.0 */
/* init_blob.S - the static guest init, embedded into mkvm as data. */
	.section .rodata
	.balign 16
	.global mkvm_init_start, mkvm_init_end
mkvm_init_start:
	.incbin "mkvm-init"
mkvm_init_end:
	.section .note.GNU-stack, "", @progbits
