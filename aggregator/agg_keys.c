/*
 * agg_keys: the allow-list directory. A scan stats every file and folds
 * name, inode, size and modification time into a signature; only when it
 * differs are the certificates loaded again (zcert_load), into a new
 * sorted array swapped in under the mutex. Secret files (`*_secret`),
 * dot files and oversized files are skipped, so the list never holds a
 * secret and a stray file cannot exhaust memory.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <czmq.h>

#include "../common/log.h"
#include "../common/xmalloc.h"
#include "../proto/curve.h"
#include "agg_keys.h"

struct key_entry {
	char	 key[CURVE_Z85_LEN + 1];
	char	*ids;			/* NULL: names no agent */
};

struct agg_keys {
	pthread_mutex_t		 mu;
	char			*dir;
	char			 self[CURVE_Z85_LEN + 1];
	struct key_entry	*e;		/* sorted by key */
	size_t			 n;
	uint64_t		 sig;
	int			 scanned;
	uint64_t		 reloads;
};

static uint64_t	scan_sig(const char *dir, size_t *nfiles);
static void	load(struct agg_keys *);
static void	free_entries(struct key_entry *, size_t);
static int	cmp_entry(const void *, const void *);

struct agg_keys *
agg_keys_create(const char *dir, const char *self)
{
	struct agg_keys *k = xcalloc(1, sizeof(*k));

	pthread_mutex_init(&k->mu, NULL);
	k->dir = xstrdup(dir);
	if (self != NULL)
		snprintf(k->self, sizeof(k->self), "%s", self);
	(void)agg_keys_refresh(k);
	return k;
}

void
agg_keys_destroy(struct agg_keys *k)
{
	if (k == NULL)
		return;
	free_entries(k->e, k->n);
	pthread_mutex_destroy(&k->mu);
	free(k->dir);
	free(k);
}

int
agg_keys_refresh(struct agg_keys *k)
{
	size_t nfiles;
	uint64_t sig = scan_sig(k->dir, &nfiles);

	if (k->scanned && sig == k->sig)
		return 0;
	k->sig = sig;
	k->scanned = 1;
	load(k);
	return 1;
}

enum agg_keys_verdict
agg_keys_check(struct agg_keys *k, const char *key, const char *id,
    size_t len)
{
	struct key_entry probe, *e;
	enum agg_keys_verdict v = AGG_KEYS_UNKNOWN;

	if (key == NULL || strlen(key) != CURVE_Z85_LEN)
		return AGG_KEYS_UNKNOWN;
	if (k->self[0] != '\0' && strcmp(key, k->self) == 0)
		return id == NULL ? AGG_KEYS_OK : AGG_KEYS_ID_DENIED;
	memcpy(probe.key, key, sizeof(probe.key));
	pthread_mutex_lock(&k->mu);
	e = k->n > 0 ? bsearch(&probe, k->e, k->n, sizeof(*k->e),
	    cmp_entry) : NULL;
	if (e != NULL)
		v = id == NULL || curve_ids_has(e->ids, id, len) ?
		    AGG_KEYS_OK : AGG_KEYS_ID_DENIED;
	pthread_mutex_unlock(&k->mu);
	return v;
}

size_t
agg_keys_count(struct agg_keys *k)
{
	size_t n;

	pthread_mutex_lock(&k->mu);
	n = k->n;
	pthread_mutex_unlock(&k->mu);
	return n;
}

uint64_t
agg_keys_reloads(struct agg_keys *k)
{
	uint64_t n;

	pthread_mutex_lock(&k->mu);
	n = k->reloads;
	pthread_mutex_unlock(&k->mu);
	return n;
}

const char *
agg_keys_dir(const struct agg_keys *k)
{
	return k->dir;
}

/* The files a scan looks at: not hidden, not a secret. */
static int
wanted(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && !(n >= 7 && strcmp(name + n - 7,
	    "_secret") == 0);
}

static uint64_t
mix(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* FNV-1a over what identifies each file's version; 1 if no directory. */
static uint64_t
scan_sig(const char *dir, size_t *nfiles)
{
	char path[4200];
	struct dirent *de;
	struct stat sb;
	uint64_t h = 0xcbf29ce484222325ULL, sum = 0;
	DIR *d;

	*nfiles = 0;
	if ((d = opendir(dir)) == NULL)
		return 1;
	/* Entries come in no fixed order: add up per-file hashes. */
	while ((de = readdir(d)) != NULL) {
		uint64_t f = 0xcbf29ce484222325ULL;

		if (!wanted(de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &sb) != 0)
			continue;
		f = mix(f, de->d_name, strlen(de->d_name));
		f = mix(f, &sb.st_ino, sizeof(sb.st_ino));
		f = mix(f, &sb.st_size, sizeof(sb.st_size));
		f = mix(f, &sb.st_mtim.tv_sec, sizeof(sb.st_mtim.tv_sec));
		f = mix(f, &sb.st_mtim.tv_nsec, sizeof(sb.st_mtim.tv_nsec));
		sum += f;
		(*nfiles)++;
	}
	closedir(d);
	h = mix(h, &sum, sizeof(sum));
	return h | 2;		/* never 1 */
}

static void
load(struct agg_keys *k)
{
	char path[4200];
	struct dirent *de;
	struct stat sb;
	struct key_entry *e = NULL, *old;
	size_t n = 0, cap = 0, oldn, i, j;
	DIR *d;

	if ((d = opendir(k->dir)) == NULL)
		log_warnx("allow-list %s: %s: no key is allowed", k->dir,
		    strerror(errno));
	while (d != NULL && (de = readdir(d)) != NULL) {
		const char *ids;
		zcert_t *cert;

		if (!wanted(de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", k->dir, de->d_name);
		if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
			continue;
		if (sb.st_size > AGG_KEYS_FILE_MAX || n >= AGG_KEYS_MAX ||
		    strlen(path) > 240 || (cert = zcert_load(path)) == NULL) {
			log_warnx("allow-list %s: %s skipped: not a public "
			    "certificate of at most %d bytes", k->dir,
			    de->d_name, AGG_KEYS_FILE_MAX);
			continue;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			e = xreallocarray(e, cap, sizeof(*e));
		}
		snprintf(e[n].key, sizeof(e[n].key), "%s",
		    zcert_public_txt(cert));
		ids = zcert_meta(cert, CURVE_IDS_META);
		e[n].ids = NULL;
		if (ids != NULL && curve_ids_valid(ids))
			e[n].ids = xstrdup(ids);
		else if (ids != NULL)
			log_warnx("allow-list %s: %s: %s is not a list of "
			    "agent ids: the key speaks for no agent", k->dir,
			    de->d_name, CURVE_IDS_META);
		zcert_destroy(&cert);
		n++;
	}
	if (d != NULL)
		closedir(d);
	if (n > 1)
		qsort(e, n, sizeof(*e), cmp_entry);
	/* The same key in two files: the one sorted first wins. */
	for (i = j = 0; i < n; i++) {
		if (j > 0 && strcmp(e[j - 1].key, e[i].key) == 0) {
			log_warnx("allow-list %s: key %s in two files",
			    k->dir, e[i].key);
			free(e[i].ids);
			continue;
		}
		e[j++] = e[i];
	}
	pthread_mutex_lock(&k->mu);
	old = k->e;
	oldn = k->n;
	k->e = e;
	k->n = j;
	k->reloads++;
	pthread_mutex_unlock(&k->mu);
	free_entries(old, oldn);
	log_info("allow-list %s: %zu key%s", k->dir, j, j == 1 ? "" : "s");
}

static void
free_entries(struct key_entry *e, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(e[i].ids);
	free(e);
}

static int
cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct key_entry *)a)->key,
	    ((const struct key_entry *)b)->key);
}
