/*
 * cfg: the one INI configuration format shared by every sessacct binary.
 * Values start at compiled-in defaults (cfg_keys.c), then a file, then
 * --set SECTION.KEY=VALUE overrides. Every key is typed and range-checked;
 * an unknown section or key is an error that names the file and line.
 * Free-form sections ([users]) have keys of their own, checked likewise.
 * Reading is done at start-up; the result is then treated as immutable.
 */
#ifndef SA_COMMON_CFG_H
#define SA_COMMON_CFG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum cfg_type {
	CFG_T_U64,		/* plain decimal */
	CFG_T_SIZE,		/* bytes, suffix k/m/g */
	CFG_T_DURATION,		/* seconds, suffix s/m/h/d */
	CFG_T_BOOL,
	CFG_T_STR,
};

struct cfg_def {
	const char	*section;
	const char	*key;
	enum cfg_type	 type;
	const char	*defval;	/* parsed like file input */
	uint64_t	 min, max;	/* numeric types; max length for strings */
	const char	*help;
};

/*
 * Further checks of some string keys' values (parse.h sa_check_*): 0,
 * or -EINVAL with the reason in why. NULL-terminated (cfg_keys.c).
 */
struct cfg_check {
	const char	*section;
	const char	*key;
	int		(*check)(const char *value, char *why, size_t whylen);
};
extern const struct cfg_check cfg_checks[];

/* The table of every key of every binary, NULL-terminated (cfg_keys.c). */
extern const struct cfg_def cfg_defs[];

struct cfg;

/* Returns owned (cfg_destroy) config holding the defaults. */
struct cfg	*cfg_create(void);
void		 cfg_destroy(struct cfg *);

/*
 * Reads an INI file over the current values. path borrowed. On error
 * returns -EINVAL (or -errno if the file cannot be read) and writes
 * "FILE:LINE: [section] key: reason" to err.
 */
int	cfg_load_file(struct cfg *, const char *path, char *err, size_t errlen)
	    __attribute__((warn_unused_result));
/* Applies "section.key=value". Same error convention as cfg_load_file. */
int	cfg_set(struct cfg *, const char *assignment, char *err, size_t errlen)
	    __attribute__((warn_unused_result));

/*
 * Getters. Asking for a key that is not in cfg_defs, or with the wrong
 * type, is a programming error and aborts. Strings are returned borrowed
 * until cfg_destroy.
 */
uint64_t	 cfg_u64(const struct cfg *, const char *section, const char *key);
int		 cfg_bool(const struct cfg *, const char *section, const char *key);
const char	*cfg_str(const struct cfg *, const char *section, const char *key);

/*
 * Free-form sections have no fixed keys; each line is KEY = VALUE,
 * checked when read (file or --set) by the module that owns the section.
 * One so far:
 *
 *   [users]  PREFIX = LABEL: "10.0.0.0/8 = office", "2001:db8::/32 = lab",
 *            a host "192.0.2.7 = printer". PREFIX as cidr_parse, LABEL as
 *            cidr_label_check (cidr.h); at most CIDR_TABLE_MAX entries.
 *            The key is everything before the first '=' (IPv6 has ':'),
 *            so --set users.10.0.0.0/8=office works.
 *
 * A key given twice in one file (in any spelling of the same prefix) is
 * an error naming both lines. A key set again by a later file or by
 * --set keeps its place and takes the new value, as other keys do.
 */

/*
 * The entries of free-form section (e.g. "users") in the order they were
 * first set, as written in the file (white space and inline comment
 * removed). Returns their count, and in *keys and *values (either may be
 * NULL) arrays of that many strings, returned borrowed until the next
 * cfg_load_file, cfg_set or cfg_destroy; they may be NULL when the count
 * is 0. A section that is not free-form is a programming error: aborts.
 */
size_t	cfg_section_entries(const struct cfg *, const char *section,
	    const char *const **keys, const char *const **values);

/*
 * Prints the effective configuration of the given sections (NULL: all);
 * a free-form section only when it has entries.
 */
void	cfg_dump(const struct cfg *, FILE *, const char *const *sections);

#endif
