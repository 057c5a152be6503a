// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - host unit tests of the module's pure logic: module/x86/pgwalk.c
 * (guest page walk), module/x86/decode.c (MMIO instruction decoder),
 * module/x86/i8259.c (the 8259A pair) and module/x86/pit_counter.c (8254
 * counters), compiled unchanged against shim/ (see Makefile).
 *
 * usage: unit [-v]    -v lists every case. Last line: "N passed, N failed".
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "unit.h"

int unit_verbose;

static char case_name[256];
static bool case_failed, in_case;
static int n_passed, n_failed;

void t_begin(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(case_name, sizeof(case_name), fmt, ap);
	va_end(ap);
	case_failed = false;
	in_case = true;
}

void t_end(void)
{
	if (case_failed) {
		n_failed++;
	} else {
		n_passed++;
		if (unit_verbose)
			printf("ok   %s\n", case_name);
	}
	in_case = false;
}

bool t_check(bool ok, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return true;
	if (!case_failed)
		printf("FAIL %s\n", case_name);
	case_failed = true;
	printf("     %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	return false;
}

void t_counts(int *passed, int *failed)
{
	*passed = n_passed;
	*failed = n_failed;
}

/*
 * Two pages: the second is PROT_NONE, and the caller's bytes end where it
 * starts, so a decoder reading one byte past the count it was given
 * faults (in addition to ASan, which cannot see reads inside a valid
 * buffer that merely exceed the count).
 */
unsigned char *guard_tail(unsigned int len)
{
	static unsigned char *area;
	long pg = sysconf(_SC_PAGESIZE);

	if (!area) {
		area = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (area == MAP_FAILED || mprotect(area + pg, pg, PROT_NONE)) {
			perror("guard page");
			exit(2);
		}
	}
	memset(area, 0xcc, pg);
	return area + pg - len;
}

static void suite(const char *name, void (*fn)(void))
{
	int p0, f0, p1, f1;

	t_counts(&p0, &f0);
	fn();
	t_counts(&p1, &f1);
	printf("%-16s %5d passed, %d failed\n", name, p1 - p0, f1 - f0);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "-v"))
		unit_verbose = 1;
	suite("pgwalk", pgwalk_tests);
	suite("decode", decode_tests);
	suite("decode-objdump", decode_objdump_tests);
	suite("pvclock", pvclock_tests);
	suite("i8259", i8259_tests);
	suite("pit", pit_tests);
	printf("%d passed, %d failed\n", n_passed, n_failed);
	return n_failed ? 1 : 0;
}
