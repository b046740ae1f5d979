/*
 * test_sess_enr: enrichment blocks, and the session table keeping them:
 * attached to the right session, reported on drain once per change,
 * carried by events and checkpoints, their verdict made the session's
 * status, freed when the session goes (ASan says if not).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sess_enr.h"
#include "sess_json.h"
#include "sess_table.h"

#define SEC	1000000000ULL
#define T0	(1700000000ULL * SEC)

struct seen {
	struct sess_rec	 rec;
	char		 user[256], target[256], origin[64];
	int		 has_enr, enr_new;
};

struct fx {
	struct sess_table	*t;
	struct seen		 closed[512];
	size_t			 nclosed;
	struct seen		 drained[512];
	size_t			 ndrained;
};

static void
keep(struct seen *s, const struct sess_rec *r)
{
	memset(s, 0, sizeof(*s));
	s->rec = *r;
	s->rec.enr = NULL;
	s->has_enr = r->enr != NULL;
	s->enr_new = r->enr_new;
	strcpy(s->user, sess_enr_user(r->enr));
	strcpy(s->target, sess_enr_target(r->enr));
	strcpy(s->origin, sess_enr_origin(r->enr));
}

static void
on_close(void *arg, const struct sess_rec *r)
{
	struct fx *f = arg;

	assert_true(f->nclosed < 512);
	keep(&f->closed[f->nclosed++], r);
}

static void
on_drain(void *arg, const struct sess_rec *r, int opened,
    const uint8_t seen[2])
{
	struct fx *f = arg;

	(void)opened;
	(void)seen;
	assert_true(f->ndrained < 512);
	keep(&f->drained[f->ndrained++], r);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct sess_table_cfg cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.udp_idle_ns = 60 * SEC;
	cfg.tcp_idle_ns = 300 * SEC;
	cfg.tcp_syn_ns = 30 * SEC;
	cfg.tcp_linger_ns = 5 * SEC;
	cfg.max_sessions = 1024;
	f->t = sess_table_create(&cfg, on_close, f);
	*state = f;
	return f->t == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	sess_table_destroy(f->t);
	free(f);
	return 0;
}

/* A TCP packet from 10.0.0.1:cport to 10.0.0.2:1080, or back if rev. */
static void
pkt(struct sess_obs *o, uint16_t cport, int rev, uint8_t flags, uint64_t ts,
    uint32_t payload)
{
	uint8_t a[16] = { 10, 0, 0, 1 }, b[16] = { 10, 0, 0, 2 };

	memset(o, 0, sizeof(*o));
	o->ts_ns = ts;
	o->af = 4;
	o->proto = 6;
	o->tcp_flags = flags;
	o->sport = rev ? 1080 : cport;
	o->dport = rev ? cport : 1080;
	memcpy(o->src, rev ? b : a, 16);
	memcpy(o->dst, rev ? a : b, 16);
	o->tcp_seq = 1000;
	o->packets = 1;
	o->bytes = payload;
	o->wire_bytes = payload + 40;
}

static struct sess_enr *
blk(const char *user, const char *target, const char *origin,
    uint8_t verdict)
{
	struct sess_enr_fields fl;

	memset(&fl, 0, sizeof(fl));
	fl.user = user;
	fl.target = target;
	fl.origin = origin;
	fl.verdict = verdict;
	return sess_enr_new(&fl);
}

static void
handshake(struct fx *f, uint16_t cport, uint64_t t)
{
	struct sess_obs o;

	pkt(&o, cport, 0, SESS_TCP_SYN, t, 0);
	sess_table_observe(f->t, &o);
	pkt(&o, cport, 1, SESS_TCP_SYN | SESS_TCP_ACK, t + 1000, 0);
	sess_table_observe(f->t, &o);
	pkt(&o, cport, 0, SESS_TCP_ACK, t + 2000, 10);
	sess_table_observe(f->t, &o);
}

static void
test_sess_enr_block_fields(void **state)
{
	struct sess_enr *e = blk("alice", "example.com:443", "192.0.2.1:5555",
	    0), *d;
	char longer[400];

	(void)state;
	assert_string_equal(sess_enr_user(e), "alice");
	assert_string_equal(sess_enr_target(e), "example.com:443");
	assert_string_equal(sess_enr_origin(e), "192.0.2.1:5555");
	d = sess_enr_dup(e);
	assert_true(sess_enr_equal(e, d));
	free(d);
	d = blk("alice", "example.com:443", "", 0);
	assert_false(sess_enr_equal(e, d));
	free(d);
	free(e);
	/* Nothing to say: no block. */
	assert_null(blk(NULL, "", NULL, 0));
	/* Strings are cut at their maxima. */
	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	e = blk(longer, longer, longer, 0);
	assert_int_equal(strlen(sess_enr_user(e)), SESS_ENR_STR_MAX);
	assert_int_equal(strlen(sess_enr_target(e)), SESS_ENR_STR_MAX);
	assert_int_equal(strlen(sess_enr_origin(e)), SESS_ENR_ORIGIN_MAX);
	free(e);
	assert_string_equal(sess_enr_user(NULL), "");
}

/* A block lands on its session, shows on the next drain only, and its
 * verdict becomes the closing status. */
static void
test_sess_enr_table_attach_drain_close(void **state)
{
	struct fx *f = *state;
	struct sess_obs key, o;

	handshake(f, 40000, T0);
	handshake(f, 40001, T0 + SEC);
	pkt(&key, 40000, 0, 0, T0, 0);
	assert_int_equal(sess_table_enrich(f->t, &key,
	    blk("bob", "blocked.example:443", NULL, SESS_REJECTED)), 0);
	sess_table_drain(f->t, on_drain, f, 1);
	assert_int_equal(f->ndrained, 2);
	assert_int_equal(f->drained[0].rec.cli_port, 40000);
	assert_true(f->drained[0].has_enr && f->drained[0].enr_new);
	assert_string_equal(f->drained[0].user, "bob");
	assert_int_equal(f->drained[0].rec.status, SESS_ACTIVE);
	assert_false(f->drained[1].has_enr);
	/* Unchanged since: not new again. */
	pkt(&o, 40000, 0, SESS_TCP_ACK, T0 + 2 * SEC, 5);
	sess_table_observe(f->t, &o);
	f->ndrained = 0;
	sess_table_drain(f->t, on_drain, f, 1);
	assert_int_equal(f->ndrained, 1);
	assert_true(f->drained[0].has_enr);
	assert_false(f->drained[0].enr_new);
	/* The same block again changes nothing. */
	assert_int_equal(sess_table_enrich(f->t, &key,
	    blk("bob", "blocked.example:443", NULL, SESS_REJECTED)), 0);
	f->ndrained = 0;
	sess_table_drain(f->t, on_drain, f, 1);
	assert_int_equal(f->ndrained, 0);
	/* RST, linger: closed as rejected_by_acl with its block. */
	pkt(&o, 40000, 1, SESS_TCP_RST, T0 + 3 * SEC, 0);
	sess_table_observe(f->t, &o);
	sess_table_expire(f->t, T0 + 20 * SEC);
	assert_int_equal(f->nclosed, 1);
	assert_int_equal(f->closed[0].rec.status, SESS_REJECTED);
	assert_string_equal(f->closed[0].target, "blocked.example:443");
	/* The other session is plain. */
	sess_table_close_all(f->t, SESS_CLOSE_CAPTURE_END);
	assert_int_equal(f->nclosed, 2);
	assert_false(f->closed[1].has_enr);
	assert_int_equal(f->closed[1].rec.status, SESS_CLOSED);
}

/* A block for a session that is not open, or began at another time. */
static void
test_sess_enr_table_no_session(void **state)
{
	struct fx *f = *state;
	struct sess_obs key;

	pkt(&key, 40000, 0, 0, T0, 0);
	assert_int_equal(sess_table_enrich(f->t, &key, blk("x", NULL, NULL,
	    0)), -ENOENT);
	handshake(f, 40000, T0);
	key.ts_ns = T0 + 5;
	assert_int_equal(sess_table_enrich(f->t, &key, blk("x", NULL, NULL,
	    0)), -ENOENT);
	/* Either direction of the key finds it. */
	pkt(&key, 40000, 1, 0, T0, 0);
	assert_int_equal(sess_table_enrich(f->t, &key, blk("y", NULL, NULL,
	    0)), 0);
	sess_table_close_all(f->t, SESS_CLOSE_CAPTURE_END);
	assert_string_equal(f->closed[0].user, "y");
}

/* Many sessions with blocks, closed in any order: each keeps its own
 * (the map's deletions move entries around). */
static void
test_sess_enr_table_many(void **state)
{
	struct fx *f = *state;
	struct sess_obs key, o;
	char name[32];
	int i;

	for (i = 0; i < 300; i++) {
		handshake(f, (uint16_t)(20000 + i), T0 + (uint64_t)i * 1000000);
		if (i % 3 == 0)
			continue;
		pkt(&key, (uint16_t)(20000 + i), 0, 0, 0, 0);
		snprintf(name, sizeof(name), "u%d", i);
		assert_int_equal(sess_table_enrich(f->t, &key,
		    blk(name, NULL, NULL, 0)), 0);
	}
	/* Close every 7th by RST, then the rest, checking each name. */
	for (i = 0; i < 300; i += 7) {
		pkt(&o, (uint16_t)(20000 + i), 0, SESS_TCP_RST, T0 + SEC, 0);
		sess_table_observe(f->t, &o);
	}
	sess_table_expire(f->t, T0 + 30 * SEC);
	for (size_t k = 0; k < f->nclosed; k++) {
		int port = f->closed[k].rec.cli_port - 20000;

		snprintf(name, sizeof(name), "u%d", port);
		assert_string_equal(f->closed[k].user, port % 3 ? name : "");
	}
	f->nclosed = 0;
	for (i = 1; i < 300; i++) {
		if (i % 7 == 0)
			continue;
		pkt(&key, (uint16_t)(20000 + i), 0, 0, 0, 0);
		snprintf(name, sizeof(name), "v%d", i);
		assert_int_equal(sess_table_enrich(f->t, &key,
		    blk(name, NULL, NULL, 0)), 0);
	}
	sess_table_drain(f->t, on_drain, f, 1);
	sess_table_close_all(f->t, SESS_CLOSE_SHUTDOWN);
}

/* Aggregator side: events carry the block; a restore keeps it. */
static void
test_sess_enr_table_apply_restore(void **state)
{
	struct fx *f = *state;
	struct sess_event ev;
	struct sess_enr *e = blk("carol", "db.internal:5432", "[2001:db8::1]:9",
	    0);
	struct sess_rec r;

	memset(&ev, 0, sizeof(ev));
	ev.af = 4;
	ev.proto = 6;
	ev.cli[0] = 10;
	ev.srv[0] = 10;
	ev.srv[3] = 2;
	ev.cli_port = 5000;
	ev.srv_port = 5432;
	ev.start_ns = T0;
	ev.last_ns = T0 + SEC;
	ev.packets[0] = 3;
	ev.enr = e;
	assert_int_equal(sess_table_apply(f->t, &ev), 1);
	free(e);
	sess_table_drain(f->t, on_drain, f, 0);
	assert_int_equal(f->ndrained, 1);
	assert_string_equal(f->drained[0].origin, "[2001:db8::1]:9");
	/* An event without a block keeps what the session has. */
	ev.enr = NULL;
	ev.last_ns = T0 + 2 * SEC;
	ev.close = 1;
	ev.status = SESS_CLOSED;
	ev.reason = SESS_CLOSE_FIN;
	assert_int_equal(sess_table_apply(f->t, &ev), 1);
	assert_int_equal(f->nclosed, 1);
	assert_string_equal(f->closed[0].user, "carol");
	/* Restore from a checkpoint row with a block. */
	r = f->closed[0].rec;
	r.status = SESS_ACTIVE;
	r.reason = SESS_CLOSE_NONE;
	e = blk("dave", NULL, NULL, 0);
	r.enr = e;
	assert_int_equal(sess_table_restore(f->t, &r), 0);
	free(e);
	sess_table_close_all(f->t, SESS_CLOSE_SHUTDOWN);
	assert_int_equal(f->nclosed, 2);
	assert_string_equal(f->closed[1].user, "dave");
}

/* The JSON object shows the block's fields, and null without one. */
static void
test_sess_enr_json_fields(void **state)
{
	struct fx *f = *state;
	char buf[SESS_JSON_MAX];
	struct sess_rec r;
	struct sess_enr *e = blk("eve", "example.com:443", "192.0.2.9:1234",
	    0);

	(void)f;
	memset(&r, 0, sizeof(r));
	r.af = 4;
	r.proto = 6;
	r.cli[0] = 10;
	r.status = SESS_CLOSED;
	r.reason = SESS_CLOSE_FIN;
	sess_json_format(&r, "a", NULL, NULL, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"user\":\"10.0.0.0\""));
	assert_non_null(strstr(buf, "\"target\":null"));
	assert_non_null(strstr(buf, "\"origin\":null,\"leg\":null,"
	    "\"peer_session_id\":null}"));
	r.enr = e;
	sess_json_format(&r, "a", NULL, NULL, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"user\":\"eve\""));
	assert_non_null(strstr(buf, "\"target\":\"example.com:443\""));
	assert_non_null(strstr(buf, "\"origin\":\"192.0.2.9:1234\""));
	/* A label given by the caller (the [users] table) loses to none
	 * but the caller's choice: the caller decides precedence. */
	sess_json_format(&r, "a", "office", NULL, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"user\":\"office\""));
	free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sess_enr_block_fields),
		cmocka_unit_test_setup_teardown(
		    test_sess_enr_table_attach_drain_close, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_sess_enr_table_no_session, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sess_enr_table_many,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_sess_enr_table_apply_restore, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sess_enr_json_fields,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
