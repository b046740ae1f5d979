/*
 * cap_config: turns cfg keys into the agent's configuration structs.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../common/parse.h"
#include "cap_config.h"

#define NS	1000000000ULL

int
cap_config_ports(const char *list, uint8_t *bitmap)
{
	char buf[1025], *tok, *save = NULL, *dash;
	uint64_t lo, hi, p;

	memset(bitmap, 0, 8192);
	if (strlen(list) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, list, strlen(list) + 1);
	for (tok = strtok_r(buf, ", ", &save); tok != NULL;
	    tok = strtok_r(NULL, ", ", &save)) {
		if ((dash = strchr(tok, '-')) != NULL)
			*dash = '\0';
		if (sa_parse_u64(tok, 1, 65535, &lo) != 0)
			return -EINVAL;
		hi = lo;
		if (dash != NULL && (sa_parse_u64(dash + 1, lo, 65535,
		    &hi) != 0))
			return -EINVAL;
		for (p = lo; p <= hi; p++)
			sess_port_set(bitmap, (uint16_t)p);
	}
	return 0;
}

/*
 * [capture] curve_cert and aggregator_cert: both or neither. Read now,
 * while the agent may still read a secret only root can.
 */
static int
curve_keys(struct cap_config *c, const struct cfg *cfg, char *err,
    size_t errlen)
{
	const char *mine = cfg_str(cfg, "capture", "curve_cert"),
	    *theirs = cfg_str(cfg, "capture", "aggregator_cert");
	char why[512];

	if (mine[0] == '\0' && theirs[0] == '\0')
		return 0;
	if (mine[0] == '\0' || theirs[0] == '\0') {
		snprintf(err, errlen, "[capture] %s: needed with %s",
		    mine[0] == '\0' ? "curve_cert" : "aggregator_cert",
		    mine[0] == '\0' ? "aggregator_cert" : "curve_cert");
		return -EINVAL;
	}
	if (!curve_available()) {
		snprintf(err, errlen, "[capture] curve_cert: this libzmq "
		    "has no CURVE");
		return -EINVAL;
	}
	if (curve_cert_load(mine, 1, &c->curve_key, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "[capture] curve_cert: %s", why);
		return -EINVAL;
	}
	if (curve_cert_load(theirs, 0, &c->curve_server, why,
	    sizeof(why)) != 0) {
		curve_cert_wipe(&c->curve_key);
		snprintf(err, errlen, "[capture] aggregator_cert: %s", why);
		return -EINVAL;
	}
	c->uplink.key = &c->curve_key;
	c->uplink.server = &c->curve_server;
	return 0;
}

int
cap_config_load(struct cap_config *c, const struct cfg *cfg, char *err,
    size_t errlen)
{
	const char *ports = cfg_str(cfg, "sessions", "service_ports");
	const char *agent = cfg_str(cfg, "capture", "agent_id");
	const char *const *keys, *const *values;
	size_t i, n;
	int rc;

	c->src.filter = cfg_str(cfg, "capture", "filter");
	c->src.interface = cfg_str(cfg, "capture", "interface");
	if (c->src.interface[0] == '\0')
		c->src.interface = NULL;
	c->src.snaplen = (uint32_t)cfg_u64(cfg, "capture", "snaplen");
	c->src.buffer_size = cfg_u64(cfg, "capture", "buffer_size");
	c->src.promisc = cfg_bool(cfg, "capture", "promisc");
	c->src.timeout_ms = (int)cfg_u64(cfg, "capture", "timeout_ms");

	c->eng.sess.udp_idle_ns = cfg_u64(cfg, "sessions",
	    "udp_idle_timeout") * NS;
	c->eng.sess.tcp_idle_ns = cfg_u64(cfg, "sessions",
	    "tcp_idle_timeout") * NS;
	c->eng.sess.tcp_syn_ns = cfg_u64(cfg, "sessions",
	    "tcp_syn_timeout") * NS;
	c->eng.sess.tcp_linger_ns = cfg_u64(cfg, "sessions",
	    "tcp_close_linger") * NS;
	c->eng.sess.tcp_time_wait_ns = cfg_u64(cfg, "sessions",
	    "tcp_time_wait") * NS;
	c->eng.sess.time_wait_max = (uint32_t)cfg_u64(cfg, "sessions",
	    "time_wait_max");
	c->eng.sess.max_sessions = (uint32_t)cfg_u64(cfg, "sessions",
	    "max_sessions");
	c->eng.frag_max = (uint32_t)cfg_u64(cfg, "capture", "frag_max");
	c->eng.frag_timeout_ns = cfg_u64(cfg, "capture", "frag_timeout") * NS;
	if (cap_config_ports(ports, c->service_ports) != 0) {
		snprintf(err, errlen, "[sessions] service_ports: '%s' is not "
		    "a list of ports such as 1080,3128,8000-8080", ports);
		return -EINVAL;
	}
	c->eng.sess.service_ports = c->service_ports;

	if (agent[0] == '\0') {
		if (gethostname(c->agent_id, sizeof(c->agent_id) - 1) != 0)
			sa_strlcpy(c->agent_id, "agent", sizeof(c->agent_id));
		c->agent_id[sizeof(c->agent_id) - 1] = '\0';
	} else
		sa_strlcpy(c->agent_id, agent, sizeof(c->agent_id));
	c->user = cfg_str(cfg, "capture", "user");
	c->chroot_dir = cfg_str(cfg, "capture", "chroot");
	c->stats_interval_ns = cfg_u64(cfg, "capture", "stats_interval") * NS;
	c->pipe_slots = (uint32_t)cfg_u64(cfg, "capture", "pipe_slots");
	c->print_buffer = (size_t)cfg_u64(cfg, "capture", "print_buffer");
	c->aggregator = cfg_str(cfg, "capture", "aggregator");
	memset(&c->uplink, 0, sizeof(c->uplink));
	c->uplink.batch_events = (uint32_t)cfg_u64(cfg, "capture",
	    "batch_events");
	c->uplink.batch_bytes = cfg_u64(cfg, "capture", "batch_bytes");
	c->uplink.buffer_bytes = cfg_u64(cfg, "capture", "send_buffer");
	c->uplink.resend_ns = cfg_u64(cfg, "capture", "resend_timeout_ms") *
	    1000000ULL;
	c->uplink.heartbeat_ns = cfg_u64(cfg, "capture",
	    "heartbeat_interval") * NS;
	if ((rc = curve_keys(c, cfg, err, errlen)) != 0)
		return rc;
	c->flush_interval_ns = cfg_u64(cfg, "capture", "flush_interval_ms") *
	    1000000ULL;
	c->ack_wait_ns = cfg_u64(cfg, "capture", "ack_wait") * NS;
	c->enrich_on = cfg_bool(cfg, "capture", "enrich");
	c->enrich.budget = (uint32_t)cfg_u64(cfg, "capture", "enrich_bytes");
	c->enrich.reply_budget = (uint32_t)cfg_u64(cfg, "capture",
	    "enrich_reply_bytes");
	c->enrich.max_sessions = (uint32_t)cfg_u64(cfg, "capture",
	    "enrich_max_sessions");
	c->enrich.timeout_ns = cfg_u64(cfg, "capture", "enrich_timeout") * NS;
	c->enrich.link_syns = (uint32_t)cfg_u64(cfg, "capture", "link_syns");
	c->enrich.link_pending = (uint32_t)cfg_u64(cfg, "capture",
	    "link_pending");
	c->enrich.link_window_ns = cfg_u64(cfg, "capture", "link_window") *
	    NS;
	c->enrich.link_dns = (uint32_t)cfg_u64(cfg, "capture", "link_dns");
	n = cfg_section_entries(cfg, "users", &keys, &values);
	c->users = n > 0 ? cidr_table_create() : NULL;
	for (i = 0; i < n; i++)
		if ((rc = cidr_table_add(c->users, keys[i], values[i])) != 0) {
			snprintf(err, errlen, "[users] %s: %s", keys[i],
			    rc == -EEXIST ? "duplicate prefix" :
			    "not a prefix and label");
			cap_config_free(c);
			return -EINVAL;
		}
	c->enrich.users = c->users;
	return 0;
}

void
cap_config_free(struct cap_config *c)
{
	cidr_table_destroy(c->users);
	c->users = NULL;
	curve_cert_wipe(&c->curve_key);
}
