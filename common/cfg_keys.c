/*
 * cfg_keys: every configuration key of every sessacct binary, with type,
 * default and bounds. One table so that one file can configure all three
 * daemons and a typo in any section is caught. Documented in docs/CAPTURE.md
 * (and the other per-binary pages); keep them in step.
 */
#include <stdint.h>

#include "cfg.h"

#define KiB	1024ULL
#define MiB	(1024ULL * 1024)
#define GiB	(1024ULL * 1024 * 1024)

const struct cfg_def cfg_defs[] = {
	/* [capture]: the agent. */
	{ "capture", "interface", CFG_T_STR, "", 0, 64,
	  "interface to capture on (live mode)" },
	{ "capture", "filter", CFG_T_STR, "", 0, 4096,
	  "BPF filter applied to the capture" },
	{ "capture", "snaplen", CFG_T_U64, "512", 64, 262144,
	  "bytes captured per packet (headers plus enrichment)" },
	{ "capture", "buffer_size", CFG_T_SIZE, "64m", 1 * MiB, 4 * GiB,
	  "kernel ring buffer size for live capture (TPACKET_V3)" },
	{ "capture", "promisc", CFG_T_BOOL, "no", 0, 1,
	  "put the interface in promiscuous mode" },
	{ "capture", "timeout_ms", CFG_T_U64, "100", 1, 10000,
	  "ring block timeout in milliseconds (live mode)" },
	{ "capture", "agent_id", CFG_T_STR, "", 0, 64,
	  "agent name in sessions (default: the host name)" },
	{ "capture", "user", CFG_T_STR, "nobody", 0, 64,
	  "user to switch to once the capture is open (empty: stay)" },
	{ "capture", "chroot", CFG_T_STR, "", 0, 4096,
	  "directory to chroot into after opening the capture" },
	{ "capture", "aggregator", CFG_T_STR, "tcp://127.0.0.1:7710", 0, 256,
	  "aggregator ingest endpoint" },
	{ "capture", "frag_max", CFG_T_U64, "8192", 16, 1000000,
	  "IP fragment table entries (datagrams being reassembled)" },
	{ "capture", "frag_timeout", CFG_T_DURATION, "30", 1, 600,
	  "seconds a fragment waits for the rest of its datagram" },
	{ "capture", "stats_interval", CFG_T_DURATION, "60", 0, 86400,
	  "seconds between counter log lines in live mode (0: never)" },
	{ "capture", "pipe_slots", CFG_T_U64, "16384", 64, 1 << 24,
	  "decoded packets queued between capture and engine threads" },
	{ "capture", "flush_interval_ms", CFG_T_U64, "200", 10, 60000,
	  "milliseconds between batches of session updates" },
	{ "capture", "batch_events", CFG_T_U64, "4096", 1, 16384,
	  "session events per batch at most" },
	{ "capture", "batch_bytes", CFG_T_SIZE, "512k", 4 * KiB, 1 * MiB,
	  "bytes per batch at most (<= the aggregator's message size)" },
	{ "capture", "send_buffer", CFG_T_SIZE, "64m", 64 * KiB, 4 * GiB,
	  "unacknowledged batches kept for resending; beyond, the oldest go" },
	{ "capture", "resend_timeout_ms", CFG_T_U64, "2000", 50, 600000,
	  "resend unacknowledged batches after this many milliseconds" },
	{ "capture", "heartbeat_interval", CFG_T_DURATION, "5", 1, 3600,
	  "an empty batch goes out when nothing did for this long" },
	{ "capture", "ack_wait", CFG_T_DURATION, "30", 0, 86400,
	  "at the end of a replay, how long to wait for acknowledgements" },

	/* [sessions]: the session engine, shared by agent and aggregator. */
	{ "sessions", "udp_idle_timeout", CFG_T_DURATION, "60", 1, 7 * 86400,
	  "seconds of silence that close a UDP session" },
	{ "sessions", "tcp_idle_timeout", CFG_T_DURATION, "300", 1, 7 * 86400,
	  "seconds of silence that close an open TCP session" },
	{ "sessions", "tcp_syn_timeout", CFG_T_DURATION, "30", 1, 86400,
	  "seconds a TCP handshake may stay unanswered" },
	{ "sessions", "tcp_close_linger", CFG_T_DURATION, "5", 0, 3600,
	  "seconds a TCP session lingers after FIN/RST for late packets" },
	{ "sessions", "max_sessions", CFG_T_U64, "1000000", 16, 100000000,
	  "sessions held at once; the least recently active is evicted" },
	{ "sessions", "service_ports", CFG_T_STR, "", 0, 1024,
	  "the proxy's listening ports, comma separated (server side)" },

	/* [aggregator], [store], [api]: used by the later daemons. */
	{ "aggregator", "listen", CFG_T_STR, "tcp://127.0.0.1:7710", 0, 256,
	  "ZeroMQ ROUTER endpoint agents connect to" },
	{ "aggregator", "query_listen", CFG_T_STR, "tcp://127.0.0.1:7711", 0,
	  256, "ZeroMQ endpoint answering API queries" },
	{ "aggregator", "max_message_size", CFG_T_SIZE, "1m", 4 * KiB,
	  64 * MiB, "largest agent message accepted; larger ones are dropped" },
	{ "aggregator", "max_agents", CFG_T_U64, "1024", 1, 65535,
	  "agents tracked at once" },
	{ "aggregator", "agent_timeout", CFG_T_DURATION, "30", 1, 86400,
	  "an agent silent this long has its sessions closed as agent_lost" },
	{ "aggregator", "commit_interval_ms", CFG_T_U64, "250", 10, 60000,
	  "milliseconds between store writes (and acks)" },
	{ "aggregator", "commit_sessions", CFG_T_U64, "20000", 1, 10000000,
	  "write early once this many closed sessions are pending" },
	{ "aggregator", "expiry_margin", CFG_T_DURATION, "60", 0, 86400,
	  "added to the idle timeouts: agents close sessions, this is a net" },
	{ "store", "path", CFG_T_STR, "./sessacct-data", 1, 4096,
	  "RocksDB database directory" },
	{ "store", "retention_days", CFG_T_U64, "90", 1, 36500,
	  "days closed sessions are kept" },
	{ "store", "sync", CFG_T_BOOL, "no", 0, 1,
	  "fsync the write-ahead log on every write (power-loss safety)" },
	{ "store", "cache_size", CFG_T_SIZE, "64m", 1 * MiB, 64 * GiB,
	  "RocksDB block cache" },
	{ "api", "listen", CFG_T_STR, "127.0.0.1:9090", 1, 256,
	  "HTTP listen address (host:port)" },
	{ "api", "aggregator", CFG_T_STR, "tcp://127.0.0.1:7711", 0, 256,
	  "aggregator query endpoint" },
	{ "api", "threads", CFG_T_U64, "4", 1, 256,
	  "HTTP worker threads" },

	{ NULL, NULL, CFG_T_U64, NULL, 0, 0, NULL },
};
