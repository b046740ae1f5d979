/*
 * cfg: typed INI configuration on top of libinih. libinih as packaged by
 * Debian reports no line number to the handler, so lines are counted by a
 * reader callback wrapped around fgets; it also refuses over-long lines
 * instead of letting inih split them into garbage, checks section names
 * (inih only reports keys, so an empty unknown section would pass), and
 * strips leading white space, because inih would take an indented line
 * for the continuation of the previous value: "  user = x" under
 * "agent_id = a" would silently set agent_id to "user = x".
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "cfg.h"
#include "parse.h"
#include "xmalloc.h"

#define CFG_MAX_LINE	1024

union cfg_val {
	uint64_t	 u;
	char		*s;
};

struct cfg {
	size_t		 n;
	union cfg_val	*vals;
};

struct cfg_parse {
	struct cfg	*cfg;
	FILE		*fp;
	const char	*path;
	int		 line;
	int		 failed;
	int		 fail_line;	/* line of the error in err */
	char		 section[64];	/* last [section] header read */
	char		*err;
	size_t		 errlen;
};

static int	 cfg_find(const char *, const char *);
static int	 cfg_assign(struct cfg *, size_t, const char *, char *, size_t);
static int	 cfg_handler(void *, const char *, const char *, const char *);
static char	*cfg_reader(char *, int, void *);
static size_t	 cfg_lookup(const struct cfg *, const char *, const char *,
		    enum cfg_type);

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
	return 0;
}

/* Parses value for key i into c. On error fills err with the reason. */
static int
cfg_assign(struct cfg *c, size_t i, const char *value, char *err,
    size_t errlen)
{
	const struct cfg_def *d = &cfg_defs[i];
	uint64_t u = 0;
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

/* Copies the leading name-like characters of s (a key) into out. */
static void
cfg_word(const char *s, char *out, size_t outlen)
{
	size_t n = 0;

	while (n + 1 < outlen && (isalnum((unsigned char)s[n]) ||
	    s[n] == '_' || s[n] == '-' || s[n] == '.')) {
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
		cfg_word(p, key, sizeof(key));
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
		*end = ']';
	} else if (*p != '\0' && *p != ';' && *p != '#' &&
	    strpbrk(p, "=:") == NULL) {
		/* inih's rule too, caught here to name the first word. */
		cfg_word(p, key, sizeof(key));
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
	if ((cp.fp = fopen(path, "r")) == NULL) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	rc = ini_parse_stream(cfg_reader, &cp, cfg_handler, &cp);
	if (!cp.failed && ferror(cp.fp)) {
		snprintf(err, errlen, "%s: read error", path);
		cp.failed = 1;
	}
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
	int i;

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
}
