/* SPDX-License-Identifier: GPL-2.0 */
/*
 * unit.h - the smallest test harness that does the job: a test case is
 * t_begin() .. t_end(); it fails if any CHECK in it failed. main.c prints
 * "N passed, N failed" over cases (scripts/check.sh reads that line).
 */
#ifndef MKVM_UNIT_H
#define MKVM_UNIT_H

#include <stdbool.h>
#include <stdio.h>

extern int unit_verbose;

void t_begin(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void t_end(void);
bool t_check(bool ok, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Counts of cases so far (for per-suite lines). */
void t_counts(int *passed, int *failed);

#define CHECK(cond) t_check(!!(cond), __FILE__, __LINE__, "%s", #cond)
#define CHECKF(cond, ...) t_check(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

/* A guard page follows the last byte of the buffer (mmap + PROT_NONE). */
unsigned char *guard_tail(unsigned int len);

void pgwalk_tests(void);
void decode_tests(void);
void decode_objdump_tests(void);
void pvclock_tests(void);
void i8259_tests(void);
void pit_tests(void);

#endif
