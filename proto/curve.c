/*
 * curve: CurveZMQ key material and socket set-up shared by the three
 * daemons. Certificates are czmq's (zcert): a public file and a
 * PATH_secret file holding both keys, which we refuse to use when others
 * may read it. What a key may do is the aggregator's business (agg_keys.c);
 * this file only loads, writes and applies keys.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <czmq.h>

#include "curve.h"
#include "wire.h"

/* czmq's zcert_load builds PATH_secret in 256 bytes. */
#define CURVE_PATH_MAX	240

int
curve_available(void)
{
	return zsys_has_curve() ? 1 : 0;
}

static int
all_zero(const uint8_t *p, size_t n)
{
	size_t i;
	uint8_t acc = 0;

	for (i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

int
curve_cert_load(const char *path, int need_secret, struct curve_cert *out,
    char *err, size_t errlen)
{
	char spath[CURVE_PATH_MAX + 16];
	struct stat sb;
	zcert_t *cert;

	memset(out, 0, sizeof(*out));
	if (path == NULL || path[0] == '\0' ||
	    strlen(path) > CURVE_PATH_MAX) {
		snprintf(err, errlen, "certificate path empty or longer than "
		    "%d bytes", CURVE_PATH_MAX);
		return -ENAMETOOLONG;
	}
	snprintf(spath, sizeof(spath), "%s_secret", path);
	if (need_secret) {
		if (stat(spath, &sb) != 0) {
			snprintf(err, errlen, "%s: %s (the secret half of %s; "
			    "make one with sessacct-aggregator --gen-key)",
			    spath, strerror(errno), path);
			return -ENOENT;
		}
		if (!S_ISREG(sb.st_mode)) {
			snprintf(err, errlen, "%s: not a regular file", spath);
			return -EINVAL;
		}
		if ((sb.st_mode & 077) != 0) {
			snprintf(err, errlen, "%s: group or others may read "
			    "it (mode %03o): chmod 600 it", spath,
			    (unsigned)(sb.st_mode & 0777));
			return -EPERM;
		}
	} else if (stat(path, &sb) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -ENOENT;
	}
	if ((cert = zcert_load(path)) == NULL) {
		snprintf(err, errlen, "%s: not a readable CURVE certificate",
		    need_secret ? spath : path);
		return -EINVAL;
	}
	memcpy(out->pub, zcert_public_key(cert), CURVE_KEY_LEN);
	memcpy(out->sec, zcert_secret_key(cert), CURVE_KEY_LEN);
	snprintf(out->pub_txt, sizeof(out->pub_txt), "%s",
	    zcert_public_txt(cert));
	zcert_destroy(&cert);
	out->has_secret = !all_zero(out->sec, CURVE_KEY_LEN);
	if (need_secret && !out->has_secret) {
		curve_cert_wipe(out);
		snprintf(err, errlen, "%s: no secret key in it", spath);
		return -EINVAL;
	}
	if (!need_secret)
		curve_cert_wipe(out);	/* only the public half is wanted */
	return 0;
}

void
curve_cert_wipe(struct curve_cert *c)
{
	volatile uint8_t *p = c->sec;
	size_t i;

	for (i = 0; i < sizeof(c->sec); i++)
		p[i] = 0;
	c->has_secret = 0;
}

int
curve_client_apply(void *zs, const struct curve_cert *mine,
    const struct curve_cert *server)
{
	if (zmq_setsockopt(zs, ZMQ_CURVE_SERVERKEY, server->pub,
	    CURVE_KEY_LEN) != 0 ||
	    zmq_setsockopt(zs, ZMQ_CURVE_PUBLICKEY, mine->pub,
	    CURVE_KEY_LEN) != 0 ||
	    zmq_setsockopt(zs, ZMQ_CURVE_SECRETKEY, mine->sec,
	    CURVE_KEY_LEN) != 0)
		return -zmq_errno();
	return 0;
}

int
curve_server_apply(void *zs, const struct curve_cert *mine,
    const char *domain)
{
	int one = 1;

	/*
	 * The ZAP domain makes libzmq ask the handler. Without a handler
	 * bound, libzmq 4.3 lets every key in (libzmq#2711; the option
	 * that forbids it, ZMQ_ZAP_ENFORCE_DOMAIN, is a draft Debian's
	 * libzmq lacks): the caller binds its handler first.
	 */
	if (zmq_setsockopt(zs, ZMQ_CURVE_SERVER, &one, sizeof(one)) != 0 ||
	    zmq_setsockopt(zs, ZMQ_CURVE_SECRETKEY, mine->sec,
	    CURVE_KEY_LEN) != 0 ||
	    zmq_setsockopt(zs, ZMQ_ZAP_DOMAIN, domain, strlen(domain)) != 0)
		return -zmq_errno();
	return 0;
}

int
curve_keygen(const char *path, const char *agent_ids, char *err,
    size_t errlen)
{
	char spath[CURVE_PATH_MAX + 16];
	struct stat sb;
	zcert_t *cert;
	mode_t old;
	int rc;

	if (path == NULL || path[0] == '\0' ||
	    strlen(path) > CURVE_PATH_MAX) {
		snprintf(err, errlen, "certificate path empty or longer than "
		    "%d bytes", CURVE_PATH_MAX);
		return -ENAMETOOLONG;
	}
	if (agent_ids != NULL && agent_ids[0] != '\0' &&
	    !curve_ids_valid(agent_ids)) {
		snprintf(err, errlen, "agent ids '%s': a comma-separated list "
		    "of ids of 1..%d bytes of [A-Za-z0-9._:-], %d bytes at "
		    "most", agent_ids, PROTO_MAX_ID, CURVE_IDS_MAX);
		return -EINVAL;
	}
	snprintf(spath, sizeof(spath), "%s_secret", path);
	if (lstat(path, &sb) == 0 || lstat(spath, &sb) == 0) {
		snprintf(err, errlen, "%s or %s exists: not overwritten", path,
		    spath);
		return -EEXIST;
	}
	if ((cert = zcert_new()) == NULL) {
		snprintf(err, errlen, "cannot make a key pair");
		return -ENOMEM;
	}
	if (agent_ids != NULL && agent_ids[0] != '\0')
		zcert_set_meta(cert, CURVE_IDS_META, "%s", agent_ids);
	old = umask(077);
	rc = zcert_save_secret(cert, spath);
	(void)umask(old);
	if (rc == 0)
		rc = zcert_save_public(cert, path);
	zcert_destroy(&cert);
	if (rc != 0 || chmod(spath, 0600) != 0 || chmod(path, 0644) != 0) {
		snprintf(err, errlen, "cannot write %s and %s: %s", path, spath,
		    strerror(errno));
		(void)unlink(spath);
		(void)unlink(path);
		return -EIO;
	}
	return 0;
}

int
curve_ids_valid(const char *ids)
{
	const char *p = ids, *e;

	if (ids == NULL || ids[0] == '\0' || strlen(ids) > CURVE_IDS_MAX)
		return 0;
	for (;;) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		if (!proto_agent_id_valid(p, (uint32_t)(e - p)))
			return 0;
		if (*e == '\0')
			return 1;
		p = e + 1;
	}
}

int
curve_ids_has(const char *ids, const char *id, size_t len)
{
	const char *p = ids, *e;

	if (ids == NULL || len == 0)
		return 0;
	for (;;) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		if ((size_t)(e - p) == len && memcmp(p, id, len) == 0)
			return 1;
		if (*e == '\0')
			return 0;
		p = e + 1;
	}
}

int
curve_endpoint_is_local(const char *ep)
{
	const char *h, *colon;
	size_t n;

	if (strncmp(ep, "ipc://", 6) == 0 || strncmp(ep, "inproc://", 9) == 0)
		return 1;
	if (strncmp(ep, "tcp://", 6) != 0)
		return 0;
	h = ep + 6;
	if (strncmp(h, "[::1]:", 6) == 0)
		return 1;
	if ((colon = strrchr(h, ':')) == NULL)
		return 0;
	n = (size_t)(colon - h);
	if (n == 9 && strncasecmp(h, "localhost", 9) == 0)
		return 1;
	/* 127.x.y.z: digits and dots only, so no interface name or
	 * "127.0.0.1;other" sneaks through. */
	if (n >= 9 && strncmp(h, "127.", 4) == 0) {
		size_t i;

		for (i = 4; i < n; i++)
			if (!((h[i] >= '0' && h[i] <= '9') || h[i] == '.'))
				return 0;
		return 1;
	}
	return 0;
}
