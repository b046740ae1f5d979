/*
 * api_auth: bearer tokens from a file, matched in constant time and
 * re-read when the file changes. It is not a user database: a token
 * names nobody, it only opens the protected routes. Header syntax is
 * RFC 6750 section 2.1 (Authorization: Bearer b64token).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/xmalloc.h"
#include "api_auth.h"

/* A tokens file may hold comments; this much per token is plenty. */
#define FILE_BYTES_PER_TOKEN	1024
#define FILE_BYTES_SLACK	(64 * 1024)

struct token {
	unsigned char	b[API_AUTH_TOKEN_MAX];	/* zero padded */
	size_t		len;
};

struct api_auth_set {
	struct token	*t;
	size_t		 n;
};

/* What identifies one version of the file. */
struct file_id {
	dev_t		dev;
	ino_t		ino;
	off_t		size;
	struct timespec	mtime, ctime;
};

struct api_auth {
	char			*path;
	size_t			 max_tokens;
	pthread_rwlock_t	 lock;		/* guards set */
	struct api_auth_set	*set;
	pthread_mutex_t		 reload_mu;	/* one reloader at a time */
	struct file_id		 id;		/* of set; under reload_mu */
	int			 failed;	/* last reload failed (logged) */
	_Atomic uint64_t	 next_check_ns;
};

static int	read_file(const char *path, size_t max, struct file_id *id,
		    char **text, size_t *len, char *err, size_t errlen);
static int	load(const char *path, size_t max_tokens, struct file_id *id,
		    struct api_auth_set **out, char *err, size_t errlen);
static void	maybe_reload(struct api_auth *);
static int	b64token_char(int c);

int
api_auth_set_parse(const char *text, size_t len, const char *path,
    size_t max_tokens, struct api_auth_set **out, char *err, size_t errlen)
{
	struct api_auth_set *s = xcalloc(1, sizeof(*s));
	size_t pos = 0, line = 0, b, e, i, cap = 0;

	*out = NULL;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl != NULL ? (size_t)(nl - text) : len;

		line++;
		b = pos;
		e = end;
		pos = end + 1;
		while (b < e && (text[b] == ' ' || text[b] == '\t'))
			b++;
		while (e > b && (text[e - 1] == ' ' || text[e - 1] == '\t' ||
		    text[e - 1] == '\r'))
			e--;
		if (b == e || text[b] == '#')
			continue;
		for (i = b; i < e && b64token_char((unsigned char)text[i]); i++)
			;
		/* Then only '='s (base64 padding). */
		while (i < e && text[i] == '=' && i > b)
			i++;
		if (i < e) {
			snprintf(err, errlen, "%s:%zu: character %zu of the "
			    "token is not allowed (tokens are A-Z a-z 0-9 "
			    "-._~+/ with '=' at the end only, one per line)",
			    path, line, i - b + 1);
			goto fail;
		}
		if (e - b < API_AUTH_TOKEN_MIN || e - b > API_AUTH_TOKEN_MAX) {
			snprintf(err, errlen, "%s:%zu: token of %zu characters "
			    "(%d to %d; e.g. openssl rand -hex 32)", path, line,
			    e - b, API_AUTH_TOKEN_MIN, API_AUTH_TOKEN_MAX);
			goto fail;
		}
		if (s->n >= max_tokens) {
			snprintf(err, errlen, "%s:%zu: more than %zu tokens "
			    "(api.max_tokens)", path, line, max_tokens);
			api_auth_set_free(s);
			return -E2BIG;
		}
		if (s->n == cap) {
			cap = cap ? cap * 2 : 8;
			s->t = xreallocarray(s->t, cap, sizeof(*s->t));
		}
		memset(&s->t[s->n], 0, sizeof(s->t[s->n]));
		memcpy(s->t[s->n].b, text + b, e - b);
		s->t[s->n].len = e - b;
		s->n++;
	}
	*out = s;
	return 0;
fail:
	api_auth_set_free(s);
	return -EINVAL;
}

size_t
api_auth_set_count(const struct api_auth_set *s)
{
	return s != NULL ? s->n : 0;
}

int
api_auth_set_match(const struct api_auth_set *s, const char *token,
    size_t len)
{
	unsigned char b[API_AUTH_TOKEN_MAX];
	unsigned int found = 0;
	size_t i;

	/* The presented length is the caller's own secret, not ours. */
	if (s == NULL || len == 0 || len > API_AUTH_TOKEN_MAX)
		return 0;
	memset(b, 0, sizeof(b));
	memcpy(b, token, len);
	/* Every token is compared in full: no early exit. */
	for (i = 0; i < s->n; i++)
		found |= (unsigned int)(api_auth_ct_equal(b, s->t[i].b,
		    sizeof(b)) & api_auth_ct_equal(&len, &s->t[i].len,
		    sizeof(len)));
	return found != 0;
}

void
api_auth_set_free(struct api_auth_set *s)
{
	if (s == NULL)
		return;
	if (s->t != NULL)
		memset(s->t, 0, s->n * sizeof(*s->t));
	free(s->t);
	free(s);
}

int
api_auth_ct_equal(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	volatile unsigned char d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	/* 1 when d is 0, without a branch on d. */
	return (int)(1 & (((unsigned int)d - 1) >> 8));
}

struct api_auth *
api_auth_create(const char *path, size_t max_tokens, char *err,
    size_t errlen)
{
	struct api_auth *a = xcalloc(1, sizeof(*a));
	struct stat st;

	if (load(path, max_tokens, &a->id, &a->set, err, errlen) != 0) {
		free(a);
		return NULL;
	}
	if (stat(path, &st) == 0 && (st.st_mode & 077) != 0)
		log_warnx("api.tokens_file %s: readable by group or others "
		    "(mode %03o); chmod 600 it", path,
		    (unsigned int)(st.st_mode & 0777));
	a->path = xstrdup(path);
	a->max_tokens = max_tokens;
	pthread_rwlock_init(&a->lock, NULL);
	pthread_mutex_init(&a->reload_mu, NULL);
	atomic_init(&a->next_check_ns, 0);
	return a;
}

void
api_auth_destroy(struct api_auth *a)
{
	if (a == NULL)
		return;
	api_auth_set_free(a->set);
	pthread_rwlock_destroy(&a->lock);
	pthread_mutex_destroy(&a->reload_mu);
	free(a->path);
	free(a);
}

enum api_auth_res
api_auth_check(struct api_auth *a, const char *h, uint64_t now_ns)
{
	uint64_t next = atomic_load(&a->next_check_ns);
	size_t n;
	int ok;

	if (now_ns >= next && atomic_compare_exchange_strong(
	    &a->next_check_ns, &next, now_ns + API_AUTH_RECHECK_NS))
		maybe_reload(a);
	/* RFC 7235: the scheme is case-insensitive; then 1*SP. */
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return API_AUTH_MISSING;
	h += 7;
	while (*h == ' ')
		h++;
	n = strlen(h);
	while (n > 0 && (h[n - 1] == ' ' || h[n - 1] == '\t'))
		n--;
	if (n == 0)
		return API_AUTH_MISSING;
	pthread_rwlock_rdlock(&a->lock);
	ok = api_auth_set_match(a->set, h, n);
	pthread_rwlock_unlock(&a->lock);
	return ok ? API_AUTH_OK : API_AUTH_INVALID;
}

size_t
api_auth_count(struct api_auth *a)
{
	size_t n;

	pthread_rwlock_rdlock(&a->lock);
	n = api_auth_set_count(a->set);
	pthread_rwlock_unlock(&a->lock);
	return n;
}

/* ---- helpers --------------------------------------------------------- */

static int
same_id(const struct file_id *x, const struct file_id *y)
{
	return x->dev == y->dev && x->ino == y->ino && x->size == y->size &&
	    x->mtime.tv_sec == y->mtime.tv_sec &&
	    x->mtime.tv_nsec == y->mtime.tv_nsec &&
	    x->ctime.tv_sec == y->ctime.tv_sec &&
	    x->ctime.tv_nsec == y->ctime.tv_nsec;
}

static void
stat_id(const struct stat *st, struct file_id *id)
{
	memset(id, 0, sizeof(*id));
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	id->size = st->st_size;
	id->mtime = st->st_mtim;
	id->ctime = st->st_ctim;
}

/*
 * Replaces the set when the file changed since it was read. Failures keep
 * the old set and are logged once per version of the file.
 */
static void
maybe_reload(struct api_auth *a)
{
	struct api_auth_set *s = NULL, *old;
	struct file_id id;
	struct stat st;
	char err[512];

	if (pthread_mutex_trylock(&a->reload_mu) != 0)
		return;
	if (stat(a->path, &st) != 0) {
		if (!a->failed)
			log_warn("api.tokens_file %s: keeping the %zu tokens "
			    "read before", a->path, api_auth_set_count(a->set));
		a->failed = 1;
		memset(&a->id, 0, sizeof(a->id));
		goto out;
	}
	stat_id(&st, &id);
	if (same_id(&id, &a->id))
		goto out;
	if (load(a->path, a->max_tokens, &id, &s, err, sizeof(err)) != 0) {
		log_warnx("api.tokens_file: %s; keeping the %zu tokens read "
		    "before", err, api_auth_set_count(a->set));
		a->failed = 1;
		a->id = id;
		goto out;
	}
	pthread_rwlock_wrlock(&a->lock);
	old = a->set;
	a->set = s;
	pthread_rwlock_unlock(&a->lock);
	log_info("api.tokens_file %s: re-read, %zu tokens (were %zu)",
	    a->path, api_auth_set_count(s), api_auth_set_count(old));
	api_auth_set_free(old);
	a->id = id;
	a->failed = 0;
out:
	pthread_mutex_unlock(&a->reload_mu);
}

static int
load(const char *path, size_t max_tokens, struct file_id *id,
    struct api_auth_set **out, char *err, size_t errlen)
{
	size_t max = max_tokens * FILE_BYTES_PER_TOKEN + FILE_BYTES_SLACK, len = 0;
	char *text = NULL;	/* set by read_file; -O3 cannot tell */
	int rc;

	if ((rc = read_file(path, max, id, &text, &len, err, errlen)) != 0)
		return rc;
	rc = api_auth_set_parse(text, len, path, max_tokens, out, err,
	    errlen);
	explicit_bzero(text, len);
	free(text);
	return rc;
}

/* Reads a whole file of at most max bytes; its identity into *id. */
static int
read_file(const char *path, size_t max, struct file_id *id, char **text,
    size_t *len, char *err, size_t errlen)
{
	struct stat st;
	char *buf;
	size_t n = 0;
	ssize_t r;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
	    fstat(fd, &st) != 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		snprintf(err, errlen, "%s: %s", path, !S_ISREG(st.st_mode) ?
		    "not a regular file" : "too large for api.max_tokens "
		    "tokens");
		close(fd);
		return -EINVAL;
	}
	stat_id(&st, id);
	buf = xmalloc(max + 1);
	while (n < max && (r = read(fd, buf + n, max - n)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			snprintf(err, errlen, "%s: %s", path, strerror(-rc));
			free(buf);
			close(fd);
			return rc;
		}
		n += (size_t)r;
	}
	close(fd);
	*text = buf;
	*len = n;
	return 0;
}

/* RFC 6750 b64token, without the trailing '='s. */
static int
b64token_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~' || c == '+' || c == '/';
}
