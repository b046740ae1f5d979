/*
 * agg_json: session objects with jansson. Field names and order follow
 * RustSocks' sessions schema (DESIGN.md), the same as sessacct-capture's
 * offline output (common/sess_json.c), which the tests compare.
 */
#include <stdio.h>
#include <string.h>

#include "../common/sess_enr.h"
#include "../common/sess_json.h"
#include "agg_json.h"

/*
 * An agent's text (user, target, origin) as a JSON string: bytes that are
 * not UTF-8 read as U+FFFD, as sess_json_format writes them; jansson
 * refuses such a string, and the field would be missing.
 */
static json_t *
text_json(const char *s)
{
	char t[SESS_JSON_UTF8_MAX];

	sess_json_utf8(s, t, sizeof(t));
	return json_string(t);
}

json_t *
agg_json_time(uint64_t ns)
{
	char t[32];

	sess_json_time(ns, t);
	return json_string(t);
}

json_t *
agg_json_session(const struct store_session *ss)
{
	const struct sess_rec *r = &ss->rec;
	char cli[46], srv[46], id[33];
	const char *reason = sess_close_name(r->reason);
	uint64_t d = r->end_ns >= r->start_ns ? r->end_ns - r->start_ns : 0;
	json_t *o = json_object();

	sess_json_addr(r->af, r->cli, cli);
	sess_json_addr(r->af, r->srv, srv);
	snprintf(id, sizeof(id), "%016llx%016llx",
	    (unsigned long long)r->key_hash, (unsigned long long)r->start_ns);
	json_object_set_new(o, "session_id", json_string(id));
	json_object_set_new(o, "agent", json_string(ss->agent));
	json_object_set_new(o, "protocol", json_string(r->proto == 6 ?
	    "tcp" : "udp"));
	json_object_set_new(o, "source_ip", json_string(cli));
	json_object_set_new(o, "source_port", json_integer(r->cli_port));
	json_object_set_new(o, "dest_ip", json_string(srv));
	json_object_set_new(o, "dest_port", json_integer(r->srv_port));
	json_object_set_new(o, "user", text_json(ss->user[0] != '\0' ?
	    ss->user : cli));
	json_object_set_new(o, "target", ss->target[0] != '\0' ?
	    text_json(ss->target) : json_null());
	json_object_set_new(o, "start_time", agg_json_time(r->start_ns));
	json_object_set_new(o, "end_time", r->status == SESS_ACTIVE ?
	    json_null() : agg_json_time(r->end_ns));
	/* Exact to the nanosecond, as a JSON number. */
	json_object_set_new(o, "duration_secs", json_real((double)d / 1e9));
	json_object_set_new(o, "bytes_sent", json_integer((json_int_t)
	    r->bytes[0]));
	json_object_set_new(o, "bytes_received", json_integer((json_int_t)
	    r->bytes[1]));
	json_object_set_new(o, "packets_sent", json_integer((json_int_t)
	    r->packets[0]));
	json_object_set_new(o, "packets_received", json_integer((json_int_t)
	    r->packets[1]));
	json_object_set_new(o, "wire_bytes_sent", json_integer((json_int_t)
	    r->wire_bytes[0]));
	json_object_set_new(o, "wire_bytes_received", json_integer((json_int_t)
	    r->wire_bytes[1]));
	json_object_set_new(o, "status", json_string(sess_status_name(
	    r->status)));
	json_object_set_new(o, "close_reason", reason != NULL ?
	    json_string(reason) : json_null());
	json_object_set_new(o, "origin", ss->origin[0] != '\0' ?
	    text_json(ss->origin) : json_null());
	json_object_set_new(o, "leg", ss->leg != 0 &&
	    sess_leg_name(ss->leg) != NULL ?
	    json_string(sess_leg_name(ss->leg)) : json_null());
	if ((ss->peer_hash | ss->peer_start) != 0) {
		snprintf(id, sizeof(id), "%016llx%016llx",
		    (unsigned long long)ss->peer_hash,
		    (unsigned long long)ss->peer_start);
		json_object_set_new(o, "peer_session_id", json_string(id));
	} else
		json_object_set_new(o, "peer_session_id", json_null());
	return o;
}
