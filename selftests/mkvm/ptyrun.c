// SPDX-License-Identifier: GPL-2.0
/*
 * ptyrun.c - run a command on a fresh pseudo-terminal and drive it like a
 * person at a keyboard, for the interactive-console test of mkvm.
 *
 * usage: ptyrun [-t SECONDS] STEP... -- CMD [ARGS...]
 *   e:TEXT   wait until TEXT has appeared in the output (since the last e:)
 *   s:TEXT   type TEXT; \r \n \\ and \xHH escapes are understood
 *
 * Afterwards it waits for CMD to exit and checks that the terminal settings
 * are what they were before CMD ran (mkvm must restore them on every exit
 * path).  Prints CMD's output, then "ptyrun: exit N"; exit status 0 when every
 * step succeeded, CMD exited 0 and the terminal was restored, else 1.
 *
 * Non-goals: a general expect(1).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

static char out[1 << 20];
static size_t out_len, mark;
static int master;
static time_t deadline;

static void pump(int ms)
{
	struct pollfd p = { .fd = master, .events = POLLIN };

	if (poll(&p, 1, ms) > 0) {
		ssize_t n = read(master, out + out_len, sizeof(out) - 1 - out_len);

		if (n > 0) {
			fwrite(out + out_len, 1, n, stdout);
			fflush(stdout);
			out_len += n;
			out[out_len] = 0;
		}
	}
}

static size_t unescape(const char *s, char *d)
{
	size_t n = 0;

	while (*s) {
		if (*s == '\\' && s[1]) {
			s++;
			if (*s == 'r')
				d[n++] = '\r';
			else if (*s == 'n')
				d[n++] = '\n';
			else if (*s == 'x' && s[1] && s[2]) {
				char h[3] = { s[1], s[2], 0 };

				d[n++] = (char)strtol(h, NULL, 16);
				s += 2;
			} else
				d[n++] = *s;
			s++;
		} else {
			d[n++] = *s++;
		}
	}
	return n;
}

int main(int argc, char **argv)
{
	struct termios before, after, cooked;
	int slave, i = 1, status = 0, ok = 1, secs = 120;
	pid_t pid;

	if (argc > 2 && !strcmp(argv[1], "-t")) {
		secs = atoi(argv[2]);
		i = 3;
	}
	if (openpty(&master, &slave, NULL, NULL, NULL)) {
		perror("openpty");
		return 1;
	}
	tcgetattr(slave, &cooked);
	cooked.c_lflag |= ICANON | ECHO | ISIG;
	tcsetattr(slave, TCSANOW, &cooked);
	tcgetattr(slave, &before);

	int cmd = i;

	while (cmd < argc && strcmp(argv[cmd], "--"))
		cmd++;
	if (cmd + 1 >= argc) {
		fprintf(stderr, "usage: ptyrun [-t S] STEP... -- CMD...\n");
		return 2;
	}
	pid = fork();
	if (pid == 0) {
		setsid();
		ioctl(slave, TIOCSCTTY, 0);
		dup2(slave, 0);
		dup2(slave, 1);
		dup2(slave, 2);
		close(master);
		execvp(argv[cmd + 1], argv + cmd + 1);
		_exit(127);
	}
	deadline = time(NULL) + secs;
	for (; i < cmd && ok; i++) {
		if (!strncmp(argv[i], "e:", 2)) {
			while (!strstr(out + mark, argv[i] + 2)) {
				if (time(NULL) > deadline) {
					printf("\nptyrun: timed out waiting for '%s'\n",
					       argv[i] + 2);
					ok = 0;
					break;
				}
				pump(100);
			}
			if (ok)
				mark = strstr(out + mark, argv[i] + 2) - out +
				       strlen(argv[i] + 2);
		} else if (!strncmp(argv[i], "s:", 2)) {
			char buf[512];
			size_t n = unescape(argv[i] + 2, buf);

			/* Type slowly, as a person (and a slow guest) would. */
			for (size_t k = 0; k < n; k++) {
				if (write(master, buf + k, 1) != 1)
					ok = 0;
				pump(30);
			}
		}
	}
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (time(NULL) > deadline) {
			printf("\nptyrun: command still running, killing it\n");
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			ok = 0;
			break;
		}
		pump(100);
	}
	pump(10);
	tcgetattr(slave, &after);
	if (before.c_lflag != after.c_lflag || before.c_iflag != after.c_iflag ||
	    before.c_oflag != after.c_oflag) {
		printf("\nptyrun: terminal settings not restored\n");
		ok = 0;
	}
	printf("\nptyrun: exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		ok = 0;
	return ok ? 0 : 1;
}
