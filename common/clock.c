/* clock: see clock.h. */
#include <sys/random.h>

#include <time.h>
#include <unistd.h>

#include "clock.h"

static uint64_t
read_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t
sa_wall_ns(void)
{
	return read_ns(CLOCK_REALTIME);
}

uint64_t
sa_mono_ns(void)
{
	return read_ns(CLOCK_MONOTONIC);
}

uint64_t
sa_random_u64(void)
{
	uint64_t v;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t)sizeof(v))
		return v;
	v = sa_wall_ns() ^ (sa_mono_ns() << 17) ^ ((uint64_t)getpid() << 32);
	/* splitmix64 finaliser: spread the few changing bits. */
	v = (v ^ (v >> 30)) * 0xbf58476d1ce4e5b9ULL;
	v = (v ^ (v >> 27)) * 0x94d049bb133111ebULL;
	return v ^ (v >> 31);
}
