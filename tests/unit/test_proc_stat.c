/*
 * test_proc_stat: the figures proc_stat_read gives for a child process
 * this test controls move as the child's own actions say they must:
 * resident memory grows by about what it touched, CPU time by what it
 * burnt, open files by what it opened; the limit is what it set, its
 * threads what it started, its start time the fork's.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

/* 1 in a ThreadSanitizer build (its shadow memory, its thread), else 0. */
#if defined(__SANITIZE_THREAD__)
#define TSAN_SHADOW	1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TSAN_SHADOW	1
#endif
#endif
#ifndef TSAN_SHADOW
#define TSAN_SHADOW	0
#endif

#include "proc_stat.h"

#define TOUCH_MB	64

struct child {
	pid_t	pid;
	int	cmd, ack;	/* parent's ends of the two pipes */
};

static uint64_t
wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *
sleeper(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

/* The child: one command byte at a time, one 'k' after each. */
static void
child_loop(int cmd, int ack)
{
	struct rlimit rl;
	struct timespec t0, t1;
	pthread_t th;
	volatile uint8_t *mem;
	size_t i;
	char c;
	int k;

	while (read(cmd, &c, 1) == 1) {
		switch (c) {
		case 'm':
			mem = mmap(NULL, (size_t)TOUCH_MB << 20,
			    PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
			if (mem == MAP_FAILED)
				_exit(3);
			for (i = 0; i < (size_t)TOUCH_MB << 20; i += 4096)
				mem[i] = 1;
			break;
		case 'c':
			clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
			do
				clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
			while ((t1.tv_sec - t0.tv_sec) * 1000000000L +
			    (t1.tv_nsec - t0.tv_nsec) < 300000000L);
			break;
		case 'f':
			for (k = 0; k < 10; k++)
				if (dup(0) == -1)
					_exit(4);
			break;
		case 'l':
			if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
				_exit(5);
			rl.rlim_cur = 321;
			if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
				_exit(5);
			break;
		case 't':
			if (pthread_create(&th, NULL, sleeper, NULL) != 0)
				_exit(6);
			break;
		default:
			_exit(0);
		}
		if (write(ack, "k", 1) != 1)
			_exit(7);
	}
	_exit(0);
}

static void
child_start(struct child *ch)
{
	int cmd[2], ack[2];
	char k;

	assert_int_equal(pipe(cmd), 0);
	assert_int_equal(pipe(ack), 0);
	ch->pid = fork();
	assert_true(ch->pid >= 0);
	if (ch->pid == 0) {
		close(cmd[1]);
		close(ack[0]);
		/* Ready: its descriptors are the ones it keeps. */
		if (write(ack[1], "k", 1) != 1)
			_exit(7);
		child_loop(cmd[0], ack[1]);
	}
	close(cmd[0]);
	close(ack[1]);
	ch->cmd = cmd[1];
	ch->ack = ack[0];
	assert_int_equal(read(ch->ack, &k, 1), 1);
}

static void
child_do(struct child *ch, char c)
{
	char k;

	assert_int_equal(write(ch->cmd, &c, 1), 1);
	assert_int_equal(read(ch->ack, &k, 1), 1);
	assert_int_equal(k, 'k');
}

static void
child_stop(struct child *ch)
{
	int status;

	kill(ch->pid, SIGKILL);
	assert_int_equal(waitpid(ch->pid, &status, 0), ch->pid);
	close(ch->cmd);
	close(ch->ack);
}

static void
test_proc_stat_memory_follows_touched_pages(void **state)
{
	struct child ch;
	struct proc_stat a, b;
	uint64_t grew, n = (uint64_t)TOUCH_MB << 20;

	(void)state;
	child_start(&ch);
	assert_int_equal(proc_stat_read(ch.pid, &a), 0);
	child_do(&ch, 'm');
	assert_int_equal(proc_stat_read(ch.pid, &b), 0);
	child_stop(&ch);
	assert_true(b.resident_bytes > a.resident_bytes);
	grew = b.resident_bytes - a.resident_bytes;
	/* The pages touched, plus a little (page tables; ASan's shadow;
	 * ThreadSanitizer shadows each page of the heap with more). */
	printf("rss %llu -> %llu bytes: +%.1f MiB for %d MiB touched\n",
	    (unsigned long long)a.resident_bytes,
	    (unsigned long long)b.resident_bytes, grew / 1048576.0, TOUCH_MB);
	assert_true(grew >= n - (2u << 20));
	assert_true(grew <= n + n / 4 + TSAN_SHADOW * n);
	/* The mapping counts in virtual memory in full. */
	assert_true(b.virtual_bytes >= a.virtual_bytes + n);
	assert_true(b.virtual_bytes >= b.resident_bytes);
}

static void
test_proc_stat_cpu_fds_limits_threads(void **state)
{
	struct child ch;
	struct proc_stat a, b;
	uint64_t before = wall_ns();

	(void)state;
	child_start(&ch);
	assert_int_equal(proc_stat_read(ch.pid, &a), 0);
	/* Started at the fork, to the clock tick (10 ms) and a margin. */
	assert_true(a.start_ns + 1000000000ull >= before);
	assert_true(a.start_ns <= wall_ns() + 1000000000ull);
	/* One, and ThreadSanitizer's own thread in a TSan build. */
	assert_true(a.threads >= 1 && a.threads <= 1 + TSAN_SHADOW);
	child_do(&ch, 'c');
	child_do(&ch, 'f');
	child_do(&ch, 'l');
	child_do(&ch, 't');
	assert_int_equal(proc_stat_read(ch.pid, &b), 0);
	child_stop(&ch);
	printf("cpu +%.3f s, fds %llu -> %llu, threads %llu -> %llu\n",
	    (double)(b.cpu_ns - a.cpu_ns) / 1e9,
	    (unsigned long long)a.open_fds, (unsigned long long)b.open_fds,
	    (unsigned long long)a.threads, (unsigned long long)b.threads);
	/* 300 ms burnt, counted in clock ticks. */
	assert_true(b.cpu_ns >= a.cpu_ns + 250000000ull);
	assert_true(b.cpu_ns <= a.cpu_ns + 2000000000ull);
	assert_int_equal(b.open_fds, a.open_fds + 10);
	assert_int_equal(b.max_fds, 321);
	/* The child's one more (a TSan build may start its own, too). */
	assert_true(b.threads >= a.threads + 1 &&
	    b.threads <= a.threads + 1 + TSAN_SHADOW);
	assert_int_equal(b.start_ns, a.start_ns);
}

static void
test_proc_stat_self_and_missing(void **state)
{
	struct proc_stat st;
	struct rlimit rl;
	pid_t pid;
	int status;

	(void)state;
	assert_int_equal(proc_stat_read(0, &st), 0);
	assert_true(st.resident_bytes > 0);
	assert_true(st.threads >= 1);
	assert_true(st.open_fds >= 3);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	assert_true(st.max_fds == (rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX :
	    (uint64_t)rl.rlim_cur));
	/* A process that is gone. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(proc_stat_read(pid, &st), -ENOENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proc_stat_memory_follows_touched_pages),
		cmocka_unit_test(test_proc_stat_cpu_fds_limits_threads),
		cmocka_unit_test(test_proc_stat_self_and_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
