/*
 * log: one-line diagnostics to stderr (foreground) or syslog, in the OpenBSD
 * log.c manner. log_warn appends strerror(errno); the x-less variants do not.
 * fatal/fatalx are for *_main.c and start-up code only: modules return errors.
 */
#ifndef SA_COMMON_LOG_H
#define SA_COMMON_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LVL_WARN = 0,
	LOG_LVL_INFO = 1,
	LOG_LVL_DEBUG = 2,
};

/* Written once at start-up, read everywhere (STYLE.md section 8). */
extern int log_verbosity;

/* ident borrowed for the process lifetime. */
void	log_init(const char *ident, int foreground, int verbosity);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info_(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug_(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

/* The level is checked before the arguments are evaluated (redis serverLog). */
#define log_info(...) do { \
	if (log_verbosity >= LOG_LVL_INFO) log_info_(__VA_ARGS__); \
} while (0)
#define log_debug(...) do { \
	if (log_verbosity >= LOG_LVL_DEBUG) log_debug_(__VA_ARGS__); \
} while (0)

#endif
