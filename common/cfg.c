/*
 * cfg: typed INI configuration on top of libinih. libinih as packaged by
 * Debian reports no line number to the handler, so lines are counted by a
 * reader callback wrapped around fgets; it also refuses over-long lines
 * instead of letting inih split them into garbage, checks section names
 * (inih only reports keys, so an empty unknown section would pass), and
 * strips leading white space, because inih would take an indented line
 * for the continuation of the previous value: "  user = x" under
 * "agent_id = a" would silently set agent_id to "user = x". Free-form
 * sections ([users]: "10.0.0.0/8 = office") are read by the reader
 * itself, since inih would split "2001:db8::/32 = lab" at the first ':'.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "cfg.h"
#include "cidr.h"
#include "parse.h"
#include "xmalloc.h"

#define CFG_MAX_LINE	1024
#define CFG_CANON_MAX	128	/* a free-form key's canonical form */

union cfg_val {
	uint64_t	 u;
	char		*s;
};

/*
 * A free-form section: its keys are not in cfg_defs; check validates an
 * entry and writes the key's canonical form, which finds duplicates
 * ("2001:db8::/32" and "2001:0db8::/32" are one prefix).
 */
struct cfg_free_def {
	const char	*section;
	size_t		 max;		/* entries at most */
	int		(*check)(const char *, const char *, char *, size_t,
			    char *, size_t);
};

/* The entries of one free-form section, in the order first set. */
struct cfg_free {
	size_t		 n, cap;
	char		**keys, **values;	/* as written */
	char		**canon;
	int		*line;		/* where set; 0 for --set */
	unsigned	*gen;		/* by which file or --set */
	uint32_t	*slots;		/* by canon: entry + 1, or 0 */
	size_t		 nslots;	/* a power of 2, > 2 * n */
};

static int	cfg_users_check(const char *, const char *, char *, size_t,
		    char *, size_t);

static const struct cfg_free_def cfg_free_defs[] = {
	{ "users", CIDR_TABLE_MAX, cfg_users_check },
};
#define CFG_NFREE	(sizeof(cfg_free_defs) / sizeof(cfg_free_defs[0]))

struct cfg {
	size_t		 n;
	union cfg_val	*vals;
	struct cfg_free	 free[CFG_NFREE];
	unsigned	 gen;		/* one per file read or --set */
};

struct cfg_parse {
	struct cfg	*cfg;
	FILE		*fp;
	const char	*path;
	int		 line;
	int		 failed;
	int		 fail_line;	/* line of the error in err */
	char		 section[64];	/* last [section] header read */
	int		 free;		/* its cfg_free_defs index or -1 */
	unsigned	 gen;
	char		*err;
	size_t		 errlen;
	int		*seen;		/* per key: line it was set on, or 0 */
};

static int	 cfg_find(const char *, const char *);
static int	 cfg_assign(struct cfg *, size_t, const char *, char *, size_t);
static int	 cfg_handler(void *, const char *, const char *, const char *);
static char	*cfg_reader(char *, int, void *);
static size_t	 cfg_lookup(const struct cfg *, const char *, const char *,
		    enum cfg_type);
static int	 cfg_free_find(const char *);
static uint32_t	*cfg_free_slot(const struct cfg_free *, const char *);
static int	 cfg_free_put(struct cfg *, int, const char *, const char *,
		    int, unsigned, char *, size_t);
static int	 cfg_free_line(struct cfg_parse *, char *);

struct cfg *
cfg_create(void)
{
	struct cfg *c = xcalloc(1, sizeof(*c));
	char err[256];
	size_t i;

	while (cfg_defs[c->n].section != NULL)
		c->n++;
	c->vals = xcalloc(c->n, sizeof(*c->vals));
	for (i = 0; i < c->n; i++) {
		if (cfg_assign(c, i, cfg_defs[i].defval, err, sizeof(err)) != 0) {
			fprintf(stderr, "bad built-in default %s.%s: %s\n",
			    cfg_defs[i].section, cfg_defs[i].key, err);
			abort();
		}
	}
	return c;
}

void
cfg_destroy(struct cfg *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++)
		if (cfg_defs[i].type == CFG_T_STR)
			free(c->vals[i].s);
	free(c->vals);
	for (i = 0; i < CFG_NFREE; i++) {
		struct cfg_free *f = &c->free[i];
		size_t j;

		for (j = 0; j < f->n; j++) {
			free(f->keys[j]);
			free(f->values[j]);
			free(f->canon[j]);
		}
		free(f->keys);
		free(f->values);
		free(f->canon);
		free(f->line);
		free(f->gen);
		free(f->slots);
	}
	free(c);
}

static int
cfg_find(const char *section, const char *key)
{
	int i;

	for (i = 0; cfg_defs[i].section != NULL; i++)
		if (strcmp(cfg_defs[i].section, section) == 0 &&
		    strcmp(cfg_defs[i].key, key) == 0)
			return i;
	return -1;
}

static int
cfg_section_known(const char *section)
{
	int i;

	for (i = 0; cfg_defs[i].section != NULL; i++)
		if (strcmp(cfg_defs[i].section, section) == 0)
			return 1;
	return cfg_free_find(section) >= 0;
}

/*
 * Whether a value reads back as itself from "key = value": not if it
 * begins with ';' or has a ';' after white space, which the INI reader
 * takes for a comment (a value set by --set, or "key =;x" in a file).
 * cfg_dump must print a file that loads to the same configuration.
 */
#define CFG_UNWRITABLE	"value must not begin with ';' or have ' ;' " \
	    "(it would read back as a comment)"

static int
cfg_value_writable(const char *v)
{
	if (v[0] == ';')
		return 0;
	for (; *v != '\0'; v++)
		if (isspace((unsigned char)v[0]) && v[1] == ';')
			return 0;
	return 1;
}

/* Parses value for key i into c. On error fills err with the reason. */
static int
cfg_assign(struct cfg *c, size_t i, const char *value, char *err,
    size_t errlen)
{
	const struct cfg_def *d = &cfg_defs[i];
	uint64_t u = 0;
	size_t k;
	int b, rc = 0;

	switch (d->type) {
	case CFG_T_U64:
		rc = sa_parse_u64(value, d->min, d->max, &u);
		break;
	case CFG_T_SIZE:
		rc = sa_parse_size(value, d->min, d->max, &u);
		break;
	case CFG_T_DURATION:
		rc = sa_parse_duration(value, d->min, d->max, &u);
		break;
	case CFG_T_BOOL:
		rc = sa_parse_bool(value, &b);
		u = (uint64_t)b;
		break;
	case CFG_T_STR:
		if (!cfg_value_writable(value)) {
			snprintf(err, errlen, CFG_UNWRITABLE);
			return -EINVAL;
		}
		if (strlen(value) < d->min) {
			if (d->min == 1)
				snprintf(err, errlen, "value must not be "
				    "empty");
			else
				snprintf(err, errlen, "value shorter than %llu "
				    "bytes", (unsigned long long)d->min);
			return -EINVAL;
		}
		if (strlen(value) > d->max) {
			snprintf(err, errlen, "value longer than %llu bytes",
			    (unsigned long long)d->max);
			return -EINVAL;
		}
		/* What --set takes must fit a line of a file, as printed
		 * (found by fuzz_cfg): "key = value". */
		if (strlen(d->key) + 3 + strlen(value) > INI_MAX_LINE - 1) {
			snprintf(err, errlen, "value longer than %zu bytes (a "
			    "configuration file line holds %d)",
			    (size_t)(INI_MAX_LINE - 1) - strlen(d->key) - 3,
			    INI_MAX_LINE - 1);
			return -EINVAL;
		}
		for (k = 0; cfg_checks[k].section != NULL; k++)
			if (strcmp(cfg_checks[k].section, d->section) == 0 &&
			    strcmp(cfg_checks[k].key, d->key) == 0 &&
			    cfg_checks[k].check(value, err, errlen) != 0)
				return -EINVAL;
		free(c->vals[i].s);
		c->vals[i].s = xstrdup(value);
		return 0;
	}
	if (rc == -ERANGE) {
		snprintf(err, errlen, "'%s' out of range [%llu, %llu]", value,
		    (unsigned long long)d->min, (unsigned long long)d->max);
		return -EINVAL;
	}
	if (rc != 0) {
		static const char *what[] = {
			[CFG_T_U64] = "a whole number",
			[CFG_T_SIZE] = "a size such as 4096, 64k or 16m",
			[CFG_T_DURATION] = "a duration such as 30, 30s, 5m or 2h",
			[CFG_T_BOOL] = "yes or no",
		};
		snprintf(err, errlen, "'%s' is not %s", value, what[d->type]);
		return -EINVAL;
	}
	c->vals[i].u = u;
	return 0;
}

/*
 * Copies the leading name-like characters of s (a key) into out; in a
 * free-form section, everything up to white space or '='.
 */
static void
cfg_word(const char *s, char *out, size_t outlen, int freeform)
{
	size_t n = 0;

	while (n + 1 < outlen && (isalnum((unsigned char)s[n]) ||
	    s[n] == '_' || s[n] == '-' || s[n] == '.' || (freeform &&
	    s[n] != '\0' && s[n] != '=' && !isspace((unsigned char)s[n])))) {
		out[n] = s[n];
		n++;
	}
	out[n] = '\0';
}

static char *
cfg_reader(char *str, int num, void *stream)
{
	struct cfg_parse *cp = stream;
	char key[64], *p, *end;
	size_t len;
	int ch;

	if (cp->failed)
		return NULL;
	if (fgets(str, num, cp->fp) == NULL)
		return NULL;
	cp->line++;
	len = strlen(str);
	p = str;
	if (cp->line == 1 && strncmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;		/* UTF-8 byte order mark */
	while (isspace((unsigned char)*p))
		p++;
	if (len == (size_t)num - 1 && str[len - 1] != '\n' &&
	    (ch = getc(cp->fp)) != EOF && ch != '\n') {
		/* Neither the end of the file nor of the line: too long. */
		cfg_word(p, key, sizeof(key), cp->free >= 0);
		if (key[0] != '\0')
			snprintf(cp->err, cp->errlen, "%s:%d: [%s] %s: line "
			    "longer than %d bytes", cp->path, cp->line,
			    cp->section, key, num - 1);
		else
			snprintf(cp->err, cp->errlen, "%s:%d: line longer than "
			    "%d bytes", cp->path, cp->line, num - 1);
		goto fail;
	}
	if (*p == '[') {
		if ((end = strchr(p, ']')) == NULL) {
			snprintf(cp->err, cp->errlen, "%s:%d: syntax error: "
			    "section header without ']'", cp->path, cp->line);
			goto fail;
		}
		*end = '\0';
		if (!cfg_section_known(p + 1)) {
			snprintf(cp->err, cp->errlen, "%s:%d: unknown section "
			    "[%s]", cp->path, cp->line, p + 1);
			goto fail;
		}
		sa_strlcpy(cp->section, p + 1, sizeof(cp->section));
		cp->free = cfg_free_find(cp->section);
		*end = ']';
	} else if (cp->free >= 0 && *p != '\0' && *p != ';' && *p != '#') {
		if (cfg_free_line(cp, p) != 0)
			goto fail;
		str[0] = '\0';		/* nothing left for inih */
		return str;
	} else if (*p != '\0' && *p != ';' && *p != '#' &&
	    strpbrk(p, "=:") == NULL) {
		/* inih's rule too, caught here to name the first word. */
		cfg_word(p, key, sizeof(key), 0);
		snprintf(cp->err, cp->errlen, "%s:%d: [%s] %s: syntax error: "
		    "expected key = value", cp->path, cp->line, cp->section,
		    key);
		goto fail;
	}
	if (p != str)
		memmove(str, p, strlen(p) + 1);
	return str;
fail:
	cp->failed = 1;
	cp->fail_line = cp->line;
	return NULL;
}

static int
cfg_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct cfg_parse *cp = user;
	char why[256];
	int i;

	if (cp->failed)
		return 0;
	if (!cfg_section_known(section)) {
		/* A key before any [section] header. */
		snprintf(cp->err, cp->errlen, "%s:%d: [%s] %s: key outside a "
		    "known section", cp->path, cp->line, section, name);
		cp->failed = 1;
		cp->fail_line = cp->line;
		return 0;
	}
	if ((i = cfg_find(section, name)) < 0) {
		snprintf(cp->err, cp->errlen, "%s:%d: [%s] %s: unknown key",
		    cp->path, cp->line, section, name);
		cp->failed = 1;
		cp->fail_line = cp->line;
		return 0;
	}
	/* A key twice in one file: which one was meant? */
	if (cp->seen[i] != 0) {
		snprintf(cp->err, cp->errlen, "%s:%d: [%s] %s: duplicate, "
		    "first on line %d", cp->path, cp->line, section, name,
		    cp->seen[i]);
		cp->failed = 1;
		cp->fail_line = cp->line;
		return 0;
	}
	cp->seen[i] = cp->line;
	if (cfg_assign(cp->cfg, (size_t)i, value, why, sizeof(why)) != 0) {
		snprintf(cp->err, cp->errlen, "%s:%d: [%s] %s: %s",
		    cp->path, cp->line, section, name, why);
		cp->failed = 1;
		cp->fail_line = cp->line;
		return 0;
	}
	return 1;
}

int
cfg_load_file(struct cfg *c, const char *path, char *err, size_t errlen)
{
	struct cfg_parse cp;
	int rc;

	memset(&cp, 0, sizeof(cp));
	cp.cfg = c;
	cp.path = path;
	cp.err = err;
	cp.errlen = errlen;
	cp.free = -1;
	cp.gen = ++c->gen;
	if ((cp.fp = fopen(path, "r")) == NULL) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	cp.seen = xcalloc(c->n, sizeof(*cp.seen));
	rc = ini_parse_stream(cfg_reader, &cp, cfg_handler, &cp);
	if (!cp.failed && ferror(cp.fp)) {
		snprintf(err, errlen, "%s: read error", path);
		cp.failed = 1;
	}
	free(cp.seen);
	fclose(cp.fp);
	/* inih goes on after a syntax error, so a later error of ours may
	 * have stopped it; rc is the first error's line. Report that one. */
	if (cp.failed && (rc <= 0 || rc >= cp.fail_line))
		return -EINVAL;
	if (rc != 0) {
		snprintf(err, errlen, "%s:%d: syntax error (expected [section] "
		    "or key = value)", path, rc);
		return -EINVAL;
	}
	return 0;
}

int
cfg_set(struct cfg *c, const char *assignment, char *err, size_t errlen)
{
	char buf[CFG_MAX_LINE], why[256];
	char *dot, *eq;
	int i, fi;

	if (strlen(assignment) >= sizeof(buf)) {
		snprintf(err, errlen, "--set: assignment too long");
		return -EINVAL;
	}
	memcpy(buf, assignment, strlen(assignment) + 1);
	eq = strchr(buf, '=');
	dot = strchr(buf, '.');
	if (eq == NULL || dot == NULL || dot > eq) {
		snprintf(err, errlen, "--set %s: expected SECTION.KEY=VALUE",
		    assignment);
		return -EINVAL;
	}
	*dot = '\0';
	*eq = '\0';
	if ((fi = cfg_free_find(buf)) >= 0) {
		if (cfg_free_put(c, fi, dot + 1, eq + 1, 0, ++c->gen, why,
		    sizeof(why)) != 0) {
			snprintf(err, errlen, "--set: [%s] %s: %s", buf,
			    dot + 1, why);
			return -EINVAL;
		}
		return 0;
	}
	if ((i = cfg_find(buf, dot + 1)) < 0) {
		snprintf(err, errlen, "--set: [%s] %s: unknown key", buf, dot + 1);
		return -EINVAL;
	}
	if (cfg_assign(c, (size_t)i, eq + 1, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "--set: [%s] %s: %s", buf, dot + 1, why);
		return -EINVAL;
	}
	return 0;
}

static size_t
cfg_lookup(const struct cfg *c, const char *section, const char *key,
    enum cfg_type type)
{
	int i = cfg_find(section, key);

	(void)c;
	if (i < 0) {
		fprintf(stderr, "cfg: no key %s.%s\n", section, key);
		abort();
	}
	if ((type == CFG_T_STR) != (cfg_defs[i].type == CFG_T_STR) ||
	    (type == CFG_T_BOOL) != (cfg_defs[i].type == CFG_T_BOOL)) {
		fprintf(stderr, "cfg: key %s.%s read with wrong type\n",
		    section, key);
		abort();
	}
	return (size_t)i;
}

uint64_t
cfg_u64(const struct cfg *c, const char *section, const char *key)
{
	return c->vals[cfg_lookup(c, section, key, CFG_T_U64)].u;
}

int
cfg_bool(const struct cfg *c, const char *section, const char *key)
{
	return (int)c->vals[cfg_lookup(c, section, key, CFG_T_BOOL)].u;
}

const char *
cfg_str(const struct cfg *c, const char *section, const char *key)
{
	return c->vals[cfg_lookup(c, section, key, CFG_T_STR)].s;
}

void
cfg_dump(const struct cfg *c, FILE *fp, const char *const *sections)
{
	const char *cur = NULL;
	size_t i, j;
	int want;

	for (i = 0; i < c->n; i++) {
		const struct cfg_def *d = &cfg_defs[i];

		want = sections == NULL;
		for (j = 0; sections != NULL && sections[j] != NULL; j++)
			if (strcmp(sections[j], d->section) == 0)
				want = 1;
		if (!want)
			continue;
		if (cur == NULL || strcmp(cur, d->section) != 0) {
			fprintf(fp, "%s[%s]\n", cur == NULL ? "" : "\n",
			    d->section);
			cur = d->section;
		}
		if (d->type == CFG_T_STR)
			fprintf(fp, "%s = %s\n", d->key, c->vals[i].s);
		else if (d->type == CFG_T_BOOL)
			fprintf(fp, "%s = %s\n", d->key,
			    c->vals[i].u ? "yes" : "no");
		else
			fprintf(fp, "%s = %llu\n", d->key,
			    (unsigned long long)c->vals[i].u);
	}
	/* Free-form sections, when they hold anything. */
	for (i = 0; i < CFG_NFREE; i++) {
		const struct cfg_free *f = &c->free[i];

		want = sections == NULL;
		for (j = 0; sections != NULL && sections[j] != NULL; j++)
			if (strcmp(sections[j], cfg_free_defs[i].section) == 0)
				want = 1;
		if (!want || f->n == 0)
			continue;
		fprintf(fp, "%s[%s]\n", cur == NULL ? "" : "\n",
		    cfg_free_defs[i].section);
		cur = cfg_free_defs[i].section;
		for (j = 0; j < f->n; j++)
			fprintf(fp, "%s = %s\n", f->keys[j], f->values[j]);
	}
}

size_t
cfg_section_entries(const struct cfg *c, const char *section,
    const char *const **keys, const char *const **values)
{
	const struct cfg_free *f;
	int fi;

	if ((fi = cfg_free_find(section)) < 0) {
		fprintf(stderr, "cfg: [%s] is not a free-form section\n",
		    section);
		abort();
	}
	f = &c->free[fi];
	if (keys != NULL)
		*keys = (const char *const *)f->keys;
	if (values != NULL)
		*values = (const char *const *)f->values;
	return f->n;
}

static int
cfg_free_find(const char *section)
{
	size_t i;

	for (i = 0; i < CFG_NFREE; i++)
		if (strcmp(cfg_free_defs[i].section, section) == 0)
			return (int)i;
	return -1;
}

/* [users]: PREFIX = LABEL, canonical key "10.0.0.0/8". */
static int
cfg_users_check(const char *key, const char *value, char *canon,
    size_t canonlen, char *why, size_t whylen)
{
	struct cidr_prefix p;

	if (cidr_parse(key, &p, why, whylen) != 0 ||
	    cidr_label_check(value, why, whylen) != 0)
		return -EINVAL;
	cidr_format(&p, canon, canonlen);
	return 0;
}

/* Where canon is in f's index, or the empty slot it would go in. */
static uint32_t *
cfg_free_slot(const struct cfg_free *f, const char *canon)
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */
	size_t i, mask = f->nslots - 1;
	const char *s;

	for (s = canon; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	for (i = (size_t)h & mask; f->slots[i] != 0; i = (i + 1) & mask)
		if (strcmp(f->canon[f->slots[i] - 1], canon) == 0)
			break;
	return &f->slots[i];
}

/*
 * Sets key = value in free-form section fi: a new entry goes last; the
 * same key (canonically) from an earlier file or --set gets the new
 * value in place; twice in one file (gen) is an error. line is for that
 * error. On error fills why, changes nothing and returns -EINVAL.
 */
static int
cfg_free_put(struct cfg *c, int fi, const char *key, const char *value,
    int line, unsigned gen, char *why, size_t whylen)
{
	const struct cfg_free_def *d = &cfg_free_defs[fi];
	struct cfg_free *f = &c->free[fi];
	char canon[CFG_CANON_MAX];
	uint32_t *slot;
	size_t i;

	if (!cfg_value_writable(value)) {
		snprintf(why, whylen, CFG_UNWRITABLE);
		return -EINVAL;
	}
	if (d->check(key, value, canon, sizeof(canon), why, whylen) != 0)
		return -EINVAL;
	if (f->nslots < 2 * (f->n + 1)) {
		/* Grow and rebuild the index; at most 2 * max slots. */
		free(f->slots);
		f->nslots = f->nslots == 0 ? 64 : f->nslots * 2;
		f->slots = xcalloc(f->nslots, sizeof(*f->slots));
		for (i = 0; i < f->n; i++)
			*cfg_free_slot(f, f->canon[i]) = (uint32_t)i + 1;
	}
	slot = cfg_free_slot(f, canon);
	if (*slot != 0) {
		i = *slot - 1;
		if (f->gen[i] == gen) {
			if (f->line[i] > 0)
				snprintf(why, whylen, "duplicate, first on "
				    "line %d", f->line[i]);
			else
				snprintf(why, whylen, "duplicate");
			return -EINVAL;
		}
		free(f->keys[i]);
		free(f->values[i]);
		f->keys[i] = xstrdup(key);
		f->values[i] = xstrdup(value);
		f->line[i] = line;
		f->gen[i] = gen;
		return 0;
	}
	if (f->n >= d->max) {
		snprintf(why, whylen, "more than %zu entries in [%s]", d->max,
		    d->section);
		return -EINVAL;
	}
	if (f->n == f->cap) {
		f->cap = f->cap == 0 ? 16 : f->cap * 2;
		f->keys = xreallocarray(f->keys, f->cap, sizeof(*f->keys));
		f->values = xreallocarray(f->values, f->cap,
		    sizeof(*f->values));
		f->canon = xreallocarray(f->canon, f->cap, sizeof(*f->canon));
		f->line = xreallocarray(f->line, f->cap, sizeof(*f->line));
		f->gen = xreallocarray(f->gen, f->cap, sizeof(*f->gen));
	}
	f->keys[f->n] = xstrdup(key);
	f->values[f->n] = xstrdup(value);
	f->canon[f->n] = xstrdup(canon);
	f->line[f->n] = line;
	f->gen[f->n] = gen;
	*slot = (uint32_t)++f->n;
	return 0;
}

/*
 * A "KEY = VALUE" line of a free-form section, leading white space
 * already gone: split at the first '=' (keys may hold ':'), cut an inline
 * comment (';' after white space, as inih) and surrounding white space.
 * p is modified. On error fills cp->err and returns -EINVAL.
 */
static int
cfg_free_line(struct cfg_parse *cp, char *p)
{
	char why[256], key[64], *eq, *v, *e;
	/* '=' counts as white space: "KEY =; x" has no value, as the
	 * printed form "KEY = ; x" would not (found by fuzz_cfg). */
	int was_space = 1;

	if ((eq = strchr(p, '=')) == NULL) {
		cfg_word(p, key, sizeof(key), 1);
		snprintf(cp->err, cp->errlen, "%s:%d: [%s] %s: syntax error: "
		    "expected KEY = VALUE", cp->path, cp->line, cp->section,
		    key);
		return -EINVAL;
	}
	for (e = eq; e > p && isspace((unsigned char)e[-1]); e--)
		;
	*e = '\0';
	for (v = eq + 1; *v != '\0'; v++) {
		if (was_space && *v == ';') {
			*v = '\0';
			break;
		}
		was_space = isspace((unsigned char)*v);
	}
	for (v = eq + 1; isspace((unsigned char)*v); v++)
		;
	for (e = v + strlen(v); e > v && isspace((unsigned char)e[-1]); e--)
		;
	*e = '\0';
	if (*p == '\0') {
		snprintf(cp->err, cp->errlen, "%s:%d: [%s] syntax error: no "
		    "key before '='", cp->path, cp->line, cp->section);
		return -EINVAL;
	}
	if (cfg_free_put(cp->cfg, cp->free, p, v, cp->line, cp->gen, why,
	    sizeof(why)) != 0) {
		snprintf(cp->err, cp->errlen, "%s:%d: [%s] %s: %s", cp->path,
		    cp->line, cp->section, p, why);
		return -EINVAL;
	}
	return 0;
}
