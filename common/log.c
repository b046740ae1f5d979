/*
 * log: stderr or syslog output with a level filter. Modelled on OpenBSD's
 * log.c: log_warn saves errno before formatting so the reason printed is
 * the one the caller saw.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

int log_verbosity = LOG_LVL_INFO;
static int log_foreground = 1;
static const char *log_ident = "sessacct";

static void vlog_emit(int pri, const char *, const char *, va_list)
    __attribute__((format(printf, 3, 0)));

void
log_init(const char *ident, int foreground, int verbosity)
{
	log_ident = ident;
	log_foreground = foreground;
	log_verbosity = verbosity;
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

static void
vlog_emit(int pri, const char *tail, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_foreground) {
		if (tail != NULL)
			fprintf(stderr, "%s: %s: %s\n", log_ident, msg, tail);
		else
			fprintf(stderr, "%s: %s\n", log_ident, msg);
		fflush(stderr);
	} else if (tail != NULL)
		syslog(pri, "%s: %s", msg, tail);
	else
		syslog(pri, "%s", msg);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vlog_emit(LOG_WARNING, strerror(saved), fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_emit(LOG_WARNING, NULL, fmt, ap);
	va_end(ap);
}

void
log_info_(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_emit(LOG_INFO, NULL, fmt, ap);
	va_end(ap);
}

void
log_debug_(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_emit(LOG_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vlog_emit(LOG_CRIT, strerror(saved), fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_emit(LOG_CRIT, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}
