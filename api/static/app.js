/*
 * sessacct dashboard: polls the JSON API and fills the page. Every text
 * from the API goes in through textContent (users and targets come from
 * captured packets). Each number cell carries its exact value in
 * data-value; the text shows it rounded. URL parameters: window_hours=N
 * (any whole number of hours), to=TIME (end of the chart), refresh=SECS.
 */
"use strict";

(function () {
	var qs = new URLSearchParams(location.search);
	var refreshSecs = Math.max(1, parseInt(qs.get("refresh") || "5", 10) || 5);
	var chartTo = qs.get("to");
	var windowSel = document.getElementById("window");
	var chart = null;

	if (qs.get("window_hours")) {
		var wh = qs.get("window_hours");
		if (!Array.prototype.some.call(windowSel.options,
		    function (o) { return o.value === wh; })) {
			var opt = document.createElement("option");
			opt.value = wh;
			opt.textContent = wh + " hours";
			windowSel.appendChild(opt);
		}
		windowSel.value = wh;
	}

	function fmtBytes(n) {
		var u = ["B", "kB", "MB", "GB", "TB", "PB"], i = 0;
		while (n >= 1000 && i < u.length - 1) { n /= 1000; i++; }
		return (i ? n.toFixed(1) : String(n)) + " " + u[i];
	}
	function fmtCount(n) { return Number(n).toLocaleString("en-US"); }
	function fmtTime(s) { return s ? s.replace("T", " ").replace(/\.\d+Z$/, "Z") : ""; }

	function setNum(id, v, bytes) {
		var el = document.getElementById(id);
		el.dataset.value = String(v);
		el.title = String(v);
		el.textContent = bytes ? fmtBytes(v) : fmtCount(v);
	}
	function cell(tr, text, cls, value) {
		var td = document.createElement("td");
		td.textContent = text == null ? "" : String(text);
		if (cls) td.className = cls;
		if (value !== undefined) { td.dataset.value = String(value); td.title = String(value); }
		tr.appendChild(td);
		return td;
	}
	function fill(tableId, rows, ncols, emptyText, rowFn) {
		var tb = document.querySelector("#" + tableId + " tbody");
		tb.textContent = "";
		if (!rows.length) {
			var tr = document.createElement("tr");
			tr.className = "empty";
			var td = cell(tr, emptyText);
			td.colSpan = ncols;
			tb.appendChild(tr);
			return;
		}
		rows.forEach(function (r) {
			var tr = document.createElement("tr");
			rowFn(tr, r);
			tb.appendChild(tr);
		});
	}
	/*
	 * With api.tokens_file set, data routes want a bearer token: asked
	 * for on the first 401 and kept for this tab only (sessionStorage).
	 */
	var tokenForm = document.getElementById("token-form");
	function token() {
		try { return sessionStorage.getItem("sessacct-token") || ""; }
		catch (e) { return ""; }
	}
	function get(path) {
		var h = token() ? { Authorization: "Bearer " + token() } : {};
		return fetch(path, { cache: "no-store", headers: h }).then(function (r) {
			if (r.status === 401) tokenForm.hidden = false;
			return r.json().then(function (j) {
				if (!r.ok) throw new Error((j && j.error ? j.error + ": " + j.detail : r.status));
				return j;
			});
		});
	}
	function hours() { return windowSel.value; }

	function loadHealth() {
		return get("/health").then(function (h) {
			var el = document.getElementById("health");
			el.dataset.status = h.status;
			el.textContent = h.status === "ok" ? "aggregator OK" :
			    "aggregator unreachable: " + (h.aggregator.error || "");
		}).catch(function () {
			var el = document.getElementById("health");
			el.dataset.status = "down";
			el.textContent = "API unreachable";
		});
	}

	function addr(ip, port) {
		return (ip.indexOf(":") >= 0 ? "[" + ip + "]" : ip) + ":" + port;
	}
	/*
	 * The cells a session row starts with, active or closed: its id
	 * (short; the whole one in the row's data-session-id), user,
	 * target, status as a badge, the client (and under it the original
	 * client a PROXY header named), the server. Refused and failed rows
	 * get a class that colours them.
	 */
	function sessionCells(tr, s) {
		var st = s.status || "active", td, b;

		tr.dataset.sessionId = s.session_id;
		if (st === "rejected_by_acl" || st === "failed")
			tr.className = "st-" + st;
		cell(tr, s.session_id.slice(0, 8), "id").title = s.session_id;
		cell(tr, s.user, "user");
		cell(tr, s.target, "target");
		td = cell(tr, "", "status");
		td.dataset.value = st;
		b = document.createElement("span");
		b.className = "badge st-" + st;
		b.textContent = st;
		td.appendChild(b);
		td = cell(tr, addr(s.source_ip, s.source_port), "client");
		if (s.origin) {
			b = document.createElement("span");
			b.className = "origin";
			b.textContent = "origin " + s.origin;
			td.appendChild(b);
		}
		cell(tr, addr(s.dest_ip, s.dest_port), "server");
		cell(tr, s.agent);
		cell(tr, s.protocol);
		tr.title = (s.user || "") + " \u2192 " + (s.target || addr(s.dest_ip, s.dest_port)) +
		    " (" + st + (s.origin ? ", origin " + s.origin : "") + ")";
	}

	function loadActive() {
		return get("/api/sessions/active?limit=100").then(function (a) {
			setNum("active-sessions", a.total);
			document.getElementById("active-count").textContent =
			    a.sessions.length < a.total ? "(first " + a.sessions.length + " of " + a.total + ")" : "";
			fill("active", a.sessions, 11, "no open sessions", function (tr, s) {
				sessionCells(tr, s);
				cell(tr, fmtTime(s.start_time));
				cell(tr, fmtBytes(s.bytes_sent), "num bytes-sent", s.bytes_sent);
				cell(tr, fmtBytes(s.bytes_received), "num bytes-received", s.bytes_received);
			});
		}).catch(function (e) {
			fill("active", [], 11, "unavailable: " + e.message);
		});
	}

	/* A badge with a count, hidden at zero. */
	function setBadge(id, n, text) {
		var el = document.getElementById(id);
		el.dataset.value = String(n);
		el.textContent = n + " " + text;
		el.hidden = n === 0;
	}

	function loadHistory() {
		var st = document.getElementById("history-status").value;
		var url = "/api/sessions/history?limit=50" + (st ? "&status=" + st : "");
		return get(url).then(function (h) {
			var rej = 0, fail = 0;
			h.sessions.forEach(function (s) {
				if (s.status === "rejected_by_acl") rej++;
				else if (s.status === "failed") fail++;
			});
			document.getElementById("history-count").textContent =
			    "(" + h.sessions.length + " newest" + (st ? " " + st : "") + ")";
			setBadge("history-rejected", rej, "rejected in view");
			setBadge("history-failed", fail, "failed in view");
			fill("history", h.sessions, 12, "no closed sessions", function (tr, s) {
				sessionCells(tr, s);
				cell(tr, fmtTime(s.end_time));
				cell(tr, s.duration_secs == null ? "" : Number(s.duration_secs).toFixed(1) + " s",
				    "num", s.duration_secs);
				cell(tr, fmtBytes(s.bytes_sent), "num bytes-sent", s.bytes_sent);
				cell(tr, fmtBytes(s.bytes_received), "num bytes-received", s.bytes_received);
			});
		}).catch(function (e) {
			fill("history", [], 12, "unavailable: " + e.message);
		});
	}

	function loadStats() {
		return get("/api/sessions/stats?window_hours=" + hours()).then(function (s) {
			setNum("total-sessions", s.total_sessions);
			setNum("total-bytes-sent", s.total_bytes_sent, true);
			setNum("total-bytes-received", s.total_bytes_received, true);
			setNum("failed-sessions", s.failed_sessions);
			setNum("rejected-sessions", s.rejected_sessions);
			fill("top-users", s.top_users, 3, "no sessions in this window", function (tr, u) {
				tr.dataset.user = u.user;
				cell(tr, u.user, "name");
				cell(tr, fmtCount(u.sessions), "num sessions", u.sessions);
				cell(tr, fmtBytes(u.bytes), "num bytes", u.bytes);
			});
			fill("top-destinations", s.top_destinations, 3, "no sessions in this window", function (tr, d) {
				tr.dataset.dest = d.dest;
				cell(tr, d.dest, "name");
				cell(tr, fmtCount(d.sessions), "num sessions", d.sessions);
				cell(tr, fmtBytes(d.bytes), "num bytes", d.bytes);
			});
		}).catch(function (e) {
			fill("top-users", [], 3, "unavailable: " + e.message);
			fill("top-destinations", [], 3, "unavailable: " + e.message);
		});
	}

	function loadChart() {
		var url = "/api/sessions/timeseries?window_hours=" + hours();
		if (chartTo) url += "&to=" + encodeURIComponent(chartTo);
		return get(url).then(function (ts) {
			var xs = [], sent = [], recv = [], sess = [];
			ts.points.forEach(function (p) {
				xs.push(Date.parse(p.t) / 1000);
				sent.push(p.bytes_sent);
				recv.push(p.bytes_received);
				sess.push(p.sessions);
			});
			var el = document.getElementById("chart");
			el.dataset.points = String(xs.length);
			el.dataset.bytesSent = String(sent.reduce(function (a, b) { return a + b; }, 0));
			el.dataset.bytesReceived = String(recv.reduce(function (a, b) { return a + b; }, 0));
			el.dataset.sessions = String(sess.reduce(function (a, b) { return a + b; }, 0));
			document.getElementById("chart-step").textContent =
			    "(" + ts.step_secs + " s per point, sessions by end time)";
			var data = [xs, sent, recv, sess];
			if (chart) { chart.setData(data); return; }
			chart = new uPlot({
				width: Math.max(300, el.clientWidth || 800),
				height: 260,
				series: [
					{},
					{ label: "bytes sent", stroke: "#2b6cb0", width: 1.5, scale: "bytes",
					  value: function (u, v) { return v == null ? "" : fmtBytes(v); } },
					{ label: "bytes received", stroke: "#c05621", width: 1.5, scale: "bytes",
					  value: function (u, v) { return v == null ? "" : fmtBytes(v); } },
					{ label: "sessions", stroke: "#2f855a", width: 1, scale: "n" },
				],
				axes: [
					{},
					{ scale: "bytes", values: function (u, vs) { return vs.map(fmtBytes); }, size: 70 },
					{ scale: "n", side: 1, grid: { show: false } },
				],
			}, data, el);
		}).catch(function (e) {
			document.getElementById("chart").textContent = "unavailable: " + e.message;
		});
	}

	function loadAgents() {
		return get("/api/agents").then(function (a) {
			fill("agents", a.agents, 11, "no agent has reported", function (tr, g) {
				tr.dataset.agent = g.agent;
				if (g.lost) tr.className = "lost";
				cell(tr, g.agent, "name");
				cell(tr, g.host);
				cell(tr, g.lost ? "lost" : "up", "state");
				cell(tr, fmtTime(g.last_heard));
				cell(tr, fmtCount(g.sessions_active), "num", g.sessions_active);
				cell(tr, fmtCount(g.packets_seen), "num packets-seen", g.packets_seen);
				cell(tr, fmtCount(g.kernel_drops), "num kernel-drops", g.kernel_drops);
				cell(tr, fmtCount(g.interface_drops), "num interface-drops", g.interface_drops);
				cell(tr, fmtCount(g.decode_errors), "num decode-errors", g.decode_errors);
				cell(tr, fmtCount(g.batches_lost), "num batches-lost", g.batches_lost);
				cell(tr, fmtCount(g.batches_dropped_by_agent), "num", g.batches_dropped_by_agent);
			});
		}).catch(function (e) {
			fill("agents", [], 11, "unavailable: " + e.message);
		});
	}

	function loadEvents() {
		return get("/api/telemetry/events?minutes=1440&limit=20").then(function (ev) {
			fill("events", ev.events, 4, "no events in the last day", function (tr, e) {
				cell(tr, fmtTime(e.time));
				cell(tr, e.severity);
				cell(tr, e.category);
				cell(tr, e.message);
			});
		}).catch(function (e) {
			fill("events", [], 4, "unavailable: " + e.message);
		});
	}

	function stamp() {
		document.getElementById("updated").textContent =
		    "updated " + new Date().toISOString().replace(/\.\d+Z$/, "Z");
		document.body.dataset.loaded = "1";
	}
	function slow() {
		return Promise.all([loadStats(), loadChart(), loadAgents(), loadEvents()]);
	}
	function fast() {
		return Promise.all([loadHealth(), loadActive(), loadHistory()]);
	}

	tokenForm.addEventListener("submit", function (ev) {
		var input = document.getElementById("token");
		ev.preventDefault();
		try { sessionStorage.setItem("sessacct-token", input.value.trim()); }
		catch (e) { /* storage disabled: nothing to keep it in */ }
		input.value = "";
		tokenForm.hidden = true;
		Promise.all([fast(), slow()]).then(stamp);
	});
	windowSel.addEventListener("change", function () { slow().then(stamp); });
	document.getElementById("history-status").addEventListener("change",
	    function () { loadHistory().then(stamp); });
	Promise.all([fast(), slow()]).then(stamp);
	setInterval(function () { fast().then(stamp); }, refreshSecs * 1000);
	setInterval(function () { slow().then(stamp); }, Math.max(30, refreshSecs) * 1000);
})();
