/*
 * curve: CurveZMQ between the daemons (docs/SECURITY.md). Keys are czmq
 * certificates: a public file PATH and its secret PATH_secret (owner
 * only). A public certificate may name, in its metadata `agent_ids`,
 * the agent ids its key may speak for. Also: whether an endpoint stays
 * on this host (a bind elsewhere needs CURVE or an explicit opt-out).
 */
#ifndef SA_PROTO_CURVE_H
#define SA_PROTO_CURVE_H

#include <stddef.h>
#include <stdint.h>

#define CURVE_KEY_LEN		32
#define CURVE_Z85_LEN		40
#define CURVE_IDS_MAX		4096	/* bytes of an agent_ids list */
#define CURVE_IDS_META		"agent_ids"

struct curve_cert {
	uint8_t	pub[CURVE_KEY_LEN];
	uint8_t	sec[CURVE_KEY_LEN];
	char	pub_txt[CURVE_Z85_LEN + 1];
	int	has_secret;
};

/* 1 if the libzmq in use can do CURVE. */
int	curve_available(void);

/*
 * Loads the certificate at path (borrowed). need_secret: also its secret
 * PATH_secret, which must be a regular file no one but its owner may
 * read. 0, or a negative errno with the reason in err.
 */
int	curve_cert_load(const char *path, int need_secret,
	    struct curve_cert *out, char *err, size_t errlen)
	    __attribute__((warn_unused_result));
/* Overwrites the secret key. */
void	curve_cert_wipe(struct curve_cert *);

/* CURVE client on a libzmq socket (zs borrowed), before its connect. */
int	curve_client_apply(void *zs, const struct curve_cert *mine,
	    const struct curve_cert *server);
/* CURVE server with ZAP domain (borrowed), before its bind. */
int	curve_server_apply(void *zs, const struct curve_cert *mine,
	    const char *domain);

/*
 * Writes a new certificate: path (public, mode 0644) and path_secret
 * (0600); neither may exist. agent_ids (comma-separated, may be NULL or
 * empty) goes into the metadata. 0 or negative errno, reason in err.
 */
int	curve_keygen(const char *path, const char *agent_ids, char *err,
	    size_t errlen) __attribute__((warn_unused_result));

/* 1 if ids is a comma-separated list of valid agent ids (at least one). */
int	curve_ids_valid(const char *ids);
/* 1 if the list ids (borrowed) names id (len bytes). */
int	curve_ids_has(const char *ids, const char *id, size_t len);

/*
 * 1 if a ZeroMQ endpoint can only be reached from this host: ipc://,
 * inproc://, or tcp:// on 127.0.0.0/8, ::1 or localhost.
 */
int	curve_endpoint_is_local(const char *endpoint);

#endif
