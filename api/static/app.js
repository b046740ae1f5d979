/*
 * sessacct dashboard: polls the JSON API and fills the page. Every text
 * from the API goes in through textContent (users and targets come from
 * captured packets). Each number cell carries its exact value in
 * data-value; the text shows it rounded. URL parameters: window_hours=N
 * (any whole number of hours), to=TIME (end of the chart), refresh=SECS.
 * The history explorer's filters, page and open session live in the
 * fragment (#user=alice&status=failed&session=ID), so that a click on a
 * user, destination or agent is a link, and a view can be shared.
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
	/* Short: month-day and time; the whole time is the cell's title. */
	function fmtShort(s) { return s ? s.slice(5, 10) + " " + s.slice(11, 19) : ""; }
	function timeCell(tr, s, cls) {
		var td = cell(tr, fmtShort(s), cls);
		if (s) td.title = s;
		return td;
	}

	/* The explorer's parameters, as /api/sessions/history names them. */
	var FILTERS = ["user", "target", "origin", "status", "protocol", "dest_ip",
	    "source_ip", "agent", "start_after", "start_before", "min_bytes",
	    "min_duration_secs"];
	function hashParams() { return new URLSearchParams(location.hash.slice(1)); }
	/* A fragment with only the given filters (a click's link). */
	function filterHref(obj) {
		var p = new URLSearchParams();
		Object.keys(obj).forEach(function (k) { p.set(k, obj[k]); });
		return "#" + p.toString();
	}
	/* The current fragment with one key set (or removed, v null). */
	function withParam(k, v) {
		var p = hashParams();
		if (v == null) p.delete(k); else p.set(k, v);
		return "#" + p.toString();
	}
	/* A cell holding a link, text through textContent. */
	function linkCell(tr, text, cls, href, title) {
		var td = cell(tr, "", cls), a;
		if (text == null || text === "") return td;
		a = document.createElement("a");
		a.href = href;
		a.textContent = String(text);
		if (title) a.title = title;
		td.appendChild(a);
		return td;
	}

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
		linkCell(tr, s.session_id.slice(0, 8), "id",
		    withParam("session", s.session_id), s.session_id);
		linkCell(tr, s.user, "user", filterHref({ user: s.user }), s.user);
		linkCell(tr, s.target, "target", filterHref({ target: s.target }), s.target);
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
		linkCell(tr, addr(s.dest_ip, s.dest_port), "server",
		    filterHref({ dest_ip: s.dest_ip }), addr(s.dest_ip, s.dest_port));
		linkCell(tr, s.agent, "agent", filterHref({ agent: s.agent }), s.agent);
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
				timeCell(tr, s.start_time, "time");
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
			fill("history", h.sessions, 12, "no closed sessions", closedRow);
		}).catch(function (e) {
			fill("history", [], 12, "unavailable: " + e.message);
		});
	}

	/* The cells of a closed session's row (recent and explorer). */
	function closedRow(tr, s) {
		sessionCells(tr, s);
		timeCell(tr, s.end_time, "time");
		cell(tr, s.duration_secs == null ? "" : Number(s.duration_secs).toFixed(1) + " s",
		    "num", s.duration_secs);
		cell(tr, fmtBytes(s.bytes_sent), "num bytes-sent", s.bytes_sent);
		cell(tr, fmtBytes(s.bytes_received), "num bytes-received", s.bytes_received);
	}

	/*
	 * The history explorer: the fragment's filters go to the form and to
	 * /api/sessions/history as they are (the API checks them: a bad one
	 * shows its 400 detail), one page at a time, with next_cursor as the
	 * next page's link and the same query as CSV.
	 */
	var explorer = document.getElementById("explorer");
	var exForm = document.getElementById("explorer-form");
	var exSeq = 0;
	function explorerQuery() {
		var h = hashParams(), q = new URLSearchParams();
		FILTERS.forEach(function (k) { if (h.get(k)) q.set(k, h.get(k)); });
		q.set("limit", h.get("limit") || "50");
		if (h.get("cursor")) q.set("cursor", h.get("cursor"));
		return q;
	}
	function loadExplorer() {
		var h = hashParams(), q = explorerQuery(), seq = ++exSeq;
		var csv = new URLSearchParams(q), first = new URLSearchParams(h);
		FILTERS.concat(["limit"]).forEach(function (k) {
			exForm.elements[k].value = h.get(k) || (k === "limit" ? "50" : "");
		});
		csv.set("format", "csv");
		document.getElementById("explorer-csv").href = "/api/sessions/history?" + csv;
		first.delete("cursor");
		first.delete("session");
		document.getElementById("explorer-first").href = "#" + first;
		document.getElementById("explorer-first").hidden = !h.get("cursor");
		explorer.dataset.query = q.toString();
		explorer.dataset.state = "loading";
		return get("/api/sessions/history?" + q).then(function (r) {
			var next = document.getElementById("explorer-next"), n;
			if (seq !== exSeq) return;
			document.getElementById("explorer-error").textContent = "";
			fill("explorer-table", r.sessions, 12, "no session matches", closedRow);
			document.getElementById("explorer-count").textContent =
			    "(" + r.sessions.length + (r.next_cursor ? "+" : "") + " sessions" +
			    (h.get("cursor") ? ", a later page" : "") + ")";
			explorer.dataset.rows = String(r.sessions.length);
			explorer.dataset.nextCursor = r.next_cursor || "";
			if (r.next_cursor) {
				n = hashParams();
				n.set("cursor", r.next_cursor);
				n.delete("session");
				next.href = "#" + n;
			}
			next.hidden = !r.next_cursor;
			explorer.dataset.state = "loaded";
		}).catch(function (e) {
			if (seq !== exSeq) return;
			fill("explorer-table", [], 12, "no answer");
			document.getElementById("explorer-error").textContent = e.message;
			explorer.dataset.rows = "0";
			explorer.dataset.state = "error";
		});
	}
	exForm.addEventListener("submit", function (ev) {
		var p = new URLSearchParams();
		ev.preventDefault();
		FILTERS.forEach(function (k) {
			var v = exForm.elements[k].value.trim();
			if (v) p.set(k, v);
		});
		if (exForm.elements.limit.value !== "50") p.set("limit", exForm.elements.limit.value);
		location.hash = "#" + p;
	});
	document.getElementById("explorer-clear").addEventListener("click", function () {
		location.hash = "#";
	});
	/* A CSV link cannot send the token: fetch it, then save the blob. */
	document.getElementById("explorer-csv").addEventListener("click", function (ev) {
		var a = ev.currentTarget;
		if (!token()) return;
		ev.preventDefault();
		fetch(a.href, { headers: { Authorization: "Bearer " + token() } }).then(function (r) {
			return r.blob();
		}).then(function (b) {
			var t = document.createElement("a");
			t.href = URL.createObjectURL(b);
			t.download = "sessions.csv";
			document.body.appendChild(t);
			t.click();
			t.remove();
		});
	});

	/* One session, every field of /api/sessions/{id}; the other leg a link. */
	var DETAIL = ["session_id", "agent", "protocol", "source_ip", "source_port",
	    "dest_ip", "dest_port", "user", "target", "start_time", "end_time",
	    "duration_secs", "bytes_sent", "bytes_received", "packets_sent",
	    "packets_received", "wire_bytes_sent", "wire_bytes_received", "status",
	    "close_reason", "origin", "leg", "peer_session_id"];
	function loadDetail() {
		var id = hashParams().get("session"), sec = document.getElementById("detail");
		var dl = document.getElementById("detail-fields");
		if (!id) { sec.hidden = true; return Promise.resolve(); }
		sec.hidden = false;
		sec.dataset.state = "loading";
		document.getElementById("detail-id").textContent = id;
		document.getElementById("detail-close").href = withParam("session", null);
		return get("/api/sessions/" + encodeURIComponent(id)).then(function (s) {
			dl.textContent = "";
			DETAIL.concat(Object.keys(s).filter(function (k) {
				return DETAIL.indexOf(k) < 0;
			})).forEach(function (k) {
				var dt = document.createElement("dt"), dd = document.createElement("dd"), a;
				var v = s[k];
				dt.textContent = k;
				dd.dataset.field = k;
				dd.dataset.value = v == null ? "" : String(v);
				if (k === "peer_session_id" && v) {
					a = document.createElement("a");
					a.href = withParam("session", v);
					a.textContent = v;
					dd.appendChild(a);
				} else if ((k === "user" || k === "target" || k === "agent" ||
				    k === "dest_ip" || k === "source_ip" || k === "origin") && v != null) {
					var f = {};
					f[k] = String(v);
					a = document.createElement("a");
					a.href = filterHref(f);
					a.textContent = String(v);
					dd.appendChild(a);
				} else if (k === "status" && v) {
					a = document.createElement("span");
					a.className = "badge st-" + v;
					a.textContent = v;
					dd.appendChild(a);
				} else {
					dd.textContent = v == null ? "null" : String(v);
					if (v == null) dd.className = "muted";
				}
				dl.appendChild(dt);
				dl.appendChild(dd);
			});
			sec.dataset.state = "loaded";
		}).catch(function (e) {
			dl.textContent = e.message;
			sec.dataset.state = "error";
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
				linkCell(tr, u.user, "name", filterHref({ user: u.user }), u.user);
				cell(tr, fmtCount(u.sessions), "num sessions", u.sessions);
				cell(tr, fmtBytes(u.bytes), "num bytes", u.bytes);
			});
			fill("top-destinations", s.top_destinations, 3, "no sessions in this window", function (tr, d) {
				tr.dataset.dest = d.dest;
				linkCell(tr, d.dest, "name", destHref(d.dest), d.dest);
				cell(tr, fmtCount(d.sessions), "num sessions", d.sessions);
				cell(tr, fmtBytes(d.bytes), "num bytes", d.bytes);
			});
		}).catch(function (e) {
			fill("top-users", [], 3, "unavailable: " + e.message);
			fill("top-destinations", [], 3, "unavailable: " + e.message);
		});
	}

	/*
	 * A destination of the top list is the session's target, else the
	 * server's ip:port ([v6]:port): the first is a target filter, the
	 * second a server IP filter.
	 */
	function destHref(d) {
		var m = /^\[([0-9a-fA-F:.]+)\]:\d+$/.exec(d) || /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(d);
		return m ? filterHref({ dest_ip: m[1] }) : filterHref({ target: d });
	}

	/*
	 * The chart's range and step come from the data: the window (the
	 * selector's, at most) is asked for at a fine step, then cut to the
	 * minutes that hold sessions, with a little room each side, and
	 * summed into about 120 points. A fresh demo's minutes of traffic
	 * fill the chart instead of being a spike at the edge of 24 hours.
	 */
	var CHART_POINTS = 120;
	function fitSeries(ts) {
		var pts = ts.points, first = -1, last = -1, i, step, from, to, k, out = [];
		for (i = 0; i < pts.length; i++)
			if (pts[i].sessions || pts[i].bytes_sent || pts[i].bytes_received) {
				if (first < 0) first = i;
				last = i;
			}
		if (first < 0) return { points: pts, step: ts.step_secs, fitted: false };
		/* Room: a tenth of the span, at least two steps, each side. */
		k = Math.max(2, Math.ceil((last - first + 1) / 10));
		first = Math.max(0, first - k);
		last = Math.min(pts.length - 1, last + k);
		k = Math.max(1, Math.ceil((last - first + 1) / CHART_POINTS));
		step = ts.step_secs * k;
		for (i = first; i <= last; i += k) {
			var p = { t: pts[i].t, sessions: 0, bytes_sent: 0, bytes_received: 0 };
			pts.slice(i, Math.min(i + k, last + 1)).forEach(function (q) {
				p.sessions += q.sessions;
				p.bytes_sent += q.bytes_sent;
				p.bytes_received += q.bytes_received;
			});
			out.push(p);
		}
		from = out[0].t;
		to = new Date(Date.parse(out[out.length - 1].t) + step * 1000).toISOString();
		return { points: out, step: step, fitted: true, from: from, to: to };
	}

	function loadChart() {
		/* A minute a point up to 2000 points, coarser past 33 hours. */
		var fine = Math.max(60, Math.ceil(hours() * 3600 / 2000 / 60) * 60);
		var url = "/api/sessions/timeseries?window_hours=" + hours() + "&step=" + fine;
		if (chartTo) url += "&to=" + encodeURIComponent(chartTo);
		return get(url).then(function (ts) {
			var xs = [], sent = [], recv = [], sess = [], fit = fitSeries(ts);
			var el = document.getElementById("chart");
			el.dataset.fitted = fit.fitted ? "1" : "0";
			el.dataset.step = String(fit.step);
			el.dataset.fineStep = String(ts.step_secs);
			el.dataset.from = fit.fitted ? fit.from : ts.from;
			el.dataset.to = fit.fitted ? fit.to : ts.to;
			fit.points.forEach(function (p) {
				xs.push(Date.parse(p.t) / 1000);
				sent.push(p.bytes_sent);
				recv.push(p.bytes_received);
				sess.push(p.sessions);
			});
			el.dataset.points = String(xs.length);
			el.dataset.bytesSent = String(sent.reduce(function (a, b) { return a + b; }, 0));
			el.dataset.bytesReceived = String(recv.reduce(function (a, b) { return a + b; }, 0));
			el.dataset.sessions = String(sess.reduce(function (a, b) { return a + b; }, 0));
			document.getElementById("chart-step").textContent = "(" +
			    (fit.fitted ? fmtTime(el.dataset.from) + " to " + fmtTime(el.dataset.to) +
			    ", the part of the last " + hours() + " h with sessions; " :
			    "no sessions in the last " + hours() + " h; ") +
			    fmtStep(fit.step) + " per point, sessions by end time)";
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

	function fmtStep(s) {
		return s % 86400 === 0 ? s / 86400 + " d" : s % 3600 === 0 ? s / 3600 + " h" :
		    s % 60 === 0 ? s / 60 + " min" : s + " s";
	}

	function loadAgents() {
		return get("/api/agents").then(function (a) {
			fill("agents", a.agents, 13, "no agent has reported", function (tr, g) {
				var pr = g.process || {};
				tr.dataset.agent = g.agent;
				if (g.lost) tr.className = "lost";
				linkCell(tr, g.agent, "name", filterHref({ agent: g.agent }), g.agent);
				cell(tr, g.host, "host").title = g.host || "";
				cell(tr, g.lost ? "lost" : "up", "state");
				timeCell(tr, g.last_heard, "time");
				cell(tr, fmtCount(g.sessions_active), "num", g.sessions_active);
				cell(tr, fmtCount(g.packets_seen), "num packets-seen", g.packets_seen);
				cell(tr, fmtCount(g.kernel_drops), "num kernel-drops", g.kernel_drops);
				cell(tr, fmtCount(g.interface_drops), "num interface-drops", g.interface_drops);
				cell(tr, fmtCount(g.decode_errors), "num decode-errors", g.decode_errors);
				cell(tr, fmtCount(g.batches_lost), "num batches-lost", g.batches_lost);
				cell(tr, fmtCount(g.batches_dropped_by_agent), "num", g.batches_dropped_by_agent);
				if (pr.resident_memory_bytes != null)
					cell(tr, fmtBytes(pr.resident_memory_bytes), "num memory", pr.resident_memory_bytes);
				else
					cell(tr, "", "num memory");
				if (pr.cpu_ns != null)
					cell(tr, (pr.cpu_ns / 1e9).toFixed(1) + " s", "num cpu", pr.cpu_ns);
				else
					cell(tr, "", "num cpu");
			});
		}).catch(function (e) {
			fill("agents", [], 13, "unavailable: " + e.message);
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

	/*
	 * Tables wider than their section (which would scroll sideways) are
	 * named in body's data-overflow: the page's test at 1280 pixels
	 * wants none.
	 */
	function checkOverflow() {
		var wide = [];
		Array.prototype.forEach.call(document.querySelectorAll("table"), function (t) {
			if (t.offsetParent !== null && t.scrollWidth > t.parentElement.clientWidth + 1)
				wide.push(t.id);
		});
		document.body.dataset.overflow = wide.join(",");
		document.body.dataset.width = String(document.documentElement.clientWidth);
	}
	function stamp() {
		document.getElementById("updated").textContent =
		    "updated " + new Date().toISOString().replace(/\.\d+Z$/, "Z");
		checkOverflow();
		document.body.dataset.loaded = "1";
	}
	function onHash() {
		return Promise.all([loadExplorer(), loadDetail()]).then(function () {
			checkOverflow();
			var h = hashParams();
			document.getElementById(h.get("session") ? "detail" : "explorer").scrollIntoView();
		});
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
		Promise.all([fast(), slow(), loadExplorer(), loadDetail()]).then(stamp);
	});
	windowSel.addEventListener("change", function () { slow().then(stamp); });
	document.getElementById("history-status").addEventListener("change",
	    function () { loadHistory().then(stamp); });
	window.addEventListener("hashchange", onHash);
	Promise.all([fast(), slow(), loadExplorer(), loadDetail()]).then(stamp);
	setInterval(function () { fast().then(stamp); }, refreshSecs * 1000);
	setInterval(function () { slow().then(stamp); }, Math.max(30, refreshSecs) * 1000);
})();
