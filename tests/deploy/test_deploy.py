#!/usr/bin/env python3
"""Tests of deploy/kubernetes, deploy/prometheus and deploy/grafana
against the real binaries, promtool and Prometheus (no cluster needed).

Groups (one ctest entry each):
  Kubernetes  every manifest parses (PyYAML); the workloads have the
              properties docs/DEPLOY.md promises (hostNetwork agents with
              NET_RAW/SETUID/SETGID only, the node name as agent id,
              non-root aggregator and API, read-only root, seccomp,
              resources, a volumeClaimTemplate under store.path, probes,
              Services and NetworkPolicy selectors that match the pods);
              every command is a sessacct binary and every --set and INI
              key exists in common/cfg_keys.c; then the manifests'
              command lines run for real with the ConfigMap's INI: an
              agent (replaying a capture instead of eth0) shows up under
              its node name, the aggregator's exec probe answers 0 while
              it runs and not after, the API's /health probe answers 200
              with the probe's Host, the pod IP is an accepted Host and
              the data routes want the token.
  Prometheus  promtool check config / check rules / test rules on
              deploy/prometheus; every metric the rules name is in
              docs/METRICS.md.
  Grafana     deploy/grafana/sessacct.json is an importable dashboard
              (schemaVersion, datasource variable used by every panel,
              unique ids); every metric its queries name is in
              docs/METRICS.md and in a real /metrics after a replay; a
              real Prometheus scraping that API evaluates every query
              without error (and with data), and evaluates the alert
              rules without error.

usage: test_deploy.py --source DIR --capture BIN --aggregator BIN --api BIN
                      [unittest args, e.g. Kubernetes]
"""
import argparse
import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

import yaml

ARGS = None
READY_TIMEOUT = 60
NODE = "node-a"
POD_IP = "10.1.2.3"
TOKEN = "k8s-test-token-0123456789abcdef0123456789"


def src(*p):
    return os.path.join(ARGS.source, *p)


def cfg_keys():
    """(section, key) of every entry of common/cfg_keys.c."""
    with open(src("common", "cfg_keys.c")) as f:
        text = f.read()
    keys = set(re.findall(r'\{\s*"(\w+)",\s*"(\w+)",\s*CFG_T_', text))
    assert len(keys) > 50, "cannot read common/cfg_keys.c"
    return keys


def ini_keys(text):
    """(section, key) of every assignment in an INI text."""
    out, section = [], None
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in ";#":
            continue
        m = re.match(r"^\[(\w+)\]$", line)
        if m:
            section = m.group(1)
            continue
        k, sep, _ = line.partition("=")
        assert sep, "not key = value: %r" % line
        out.append((section, k.strip()))
    return out


def documented_metrics():
    with open(src("docs", "METRICS.md")) as f:
        return set(re.findall(r"^\| `(sessacct_\w+)` \|", f.read(), re.M))


def family(name):
    """A sample name -> its metric family (histogram parts)."""
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and "duration" in name:
            return name[:-len(suffix)]
    return name


def metric_names(expr):
    return {family(n) for n in re.findall(r"\b(sessacct_\w+)", expr)}


def scraped_families(text):
    return {family(re.match(r"^([a-zA-Z_:][\w:]*)", l).group(1))
            for l in text.splitlines() if l and not l.startswith("#")}


def http_get(url, headers=None):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Procs:
    """Processes in one temp dir; stop() checks exit codes."""

    def __init__(self, name):
        self.td = tempfile.mkdtemp(prefix="sessacct-deploy.%s." % name)
        os.chmod(self.td, 0o777)    # capture drops to nobody as root
        self.procs = []
        self.logs = []

    def spawn(self, name, argv):
        log = os.path.join(self.td, "%02d-%s.log" % (len(self.logs), name))
        with open(log, "wb") as fp:
            p = subprocess.Popen(argv, stdout=fp, stderr=subprocess.STDOUT)
        self.procs.append((name, p))
        self.logs.append(log)
        return p

    def ready(self, path, p, name):
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if os.path.exists(path):
                with open(path) as f:
                    return json.load(f)
            if p.poll() is not None:
                raise AssertionError("%s exited %d before ready\n%s" %
                                     (name, p.returncode, self.tails()))
            time.sleep(0.02)
        raise AssertionError("%s not ready\n%s" % (name, self.tails()))

    def tails(self):
        out = []
        for log in self.logs:
            with open(log, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
            out.append("--- %s\n%s" % (log, "\n".join(lines[-15:])))
        return "\n".join(out)

    def stop_one(self, p):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=60)
        return p.returncode

    def stop(self):
        bad = []
        for name, p in reversed(self.procs):
            try:
                rc = self.stop_one(p)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                bad.append("%s did not stop on SIGTERM" % name)
                continue
            if rc != 0 and not name.startswith("capture"):
                bad.append("%s exited %d" % (name, rc))
        if os.environ.get("SA_E2E_KEEP") != "1":
            shutil.rmtree(self.td, ignore_errors=True)
        return bad


def load_manifests():
    docs = []
    files = sorted(glob.glob(src("deploy", "kubernetes", "*.yaml")))
    assert files, "no manifests in deploy/kubernetes"
    for path in files:
        with open(path) as f:
            for d in yaml.safe_load_all(f):
                if d is not None:
                    docs.append((os.path.basename(path), d))
    return docs


def matches(selector, labels):
    """A matchLabels selector (no expressions here) against pod labels."""
    assert set(selector) <= {"matchLabels"}, selector
    ml = selector.get("matchLabels", {})
    assert ml, "empty selector matches every pod: %r" % selector
    return all(labels.get(k) == v for k, v in ml.items())


def expand(args, env):
    """Kubernetes' $(VAR) expansion in command and args."""
    return [re.sub(r"\$\((\w+)\)", lambda m: env[m.group(1)], a)
            for a in args]


def sets_of(argv):
    return [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--set"]


class Kubernetes(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.docs = load_manifests()
        cls.by_kind = {}
        for fname, d in cls.docs:
            cls.by_kind.setdefault(d["kind"], []).append(d)
        cm = cls.one("ConfigMap")
        cls.ini = cm["data"]["sessacct.ini"]
        cls.ini_map = {}
        section = None
        for line in cls.ini.splitlines():
            line = line.strip()
            if line.startswith("["):
                section = line.strip("[]")
            elif line and line[0] not in ";#":
                k, _, v = line.partition("=")
                cls.ini_map[(section, k.strip())] = v.strip()
        cls.ds = cls.one("DaemonSet")
        cls.sts = cls.one("StatefulSet")
        cls.dep = cls.one("Deployment")
        cls.pods = {"capture": cls.ds, "aggregator": cls.sts,
                    "api": cls.dep}
        cls.binaries = {os.path.basename(b) for b in
                        (ARGS.capture, ARGS.aggregator, ARGS.api)}

    @classmethod
    def one(cls, kind):
        got = cls.by_kind.get(kind, [])
        assert len(got) == 1, "%d %s, want 1" % (len(got), kind)
        return got[0]

    def container(self, wl):
        cs = wl["spec"]["template"]["spec"]["containers"]
        self.assertEqual(len(cs), 1)
        return cs[0]

    def labels(self, wl):
        return wl["spec"]["template"]["metadata"]["labels"]

    def test_kinds_and_namespace(self):
        kinds = sorted(self.by_kind)
        self.assertEqual(kinds, ["ConfigMap", "DaemonSet", "Deployment",
                                 "Namespace", "NetworkPolicy", "Service",
                                 "StatefulSet"])
        ns = self.one("Namespace")["metadata"]["name"]
        for fname, d in self.docs:
            self.assertIn("apiVersion", d, fname)
            if d["kind"] != "Namespace":
                self.assertEqual(d["metadata"].get("namespace"), ns,
                                 "%s %s" % (fname, d["metadata"]["name"]))

    def test_workload_selectors(self):
        for name, wl in self.pods.items():
            lab = self.labels(wl)
            self.assertEqual(lab.get("app.kubernetes.io/component"), name)
            self.assertTrue(matches(wl["spec"]["selector"], lab), name)
            for other, ow in self.pods.items():
                if other != name:
                    self.assertFalse(matches(wl["spec"]["selector"],
                                             self.labels(ow)))

    def test_hardening_everywhere(self):
        for name, wl in self.pods.items():
            spec = wl["spec"]["template"]["spec"]
            c = self.container(wl)
            sc = c["securityContext"]
            seccomp = (sc.get("seccompProfile") or
                       spec.get("securityContext", {}).get("seccompProfile"))
            self.assertEqual(seccomp, {"type": "RuntimeDefault"}, name)
            self.assertIs(sc["allowPrivilegeEscalation"], False, name)
            self.assertIs(sc["readOnlyRootFilesystem"], True, name)
            self.assertIs(sc.get("privileged", False), False, name)
            self.assertEqual(sc["capabilities"]["drop"], ["ALL"], name)
            self.assertIs(spec.get("automountServiceAccountToken"), False)
            self.assertNotIn("hostPID", spec)
            self.assertNotIn("hostIPC", spec)
            res = c["resources"]
            for k in ("cpu", "memory"):
                self.assertIn(k, res["requests"], name)
                self.assertIn(k, res["limits"], name)
            if name != "capture":
                # The aggregator and the API never run as root.
                psc = spec["securityContext"]
                self.assertIs(psc["runAsNonRoot"], True, name)
                self.assertGreater(psc["runAsUser"], 0, name)
                self.assertNotIn("add", sc["capabilities"], name)
                self.assertNotIn("hostNetwork", spec, name)

    def test_agent_daemonset(self):
        spec = self.ds["spec"]["template"]["spec"]
        c = self.container(self.ds)
        self.assertIs(spec["hostNetwork"], True)
        self.assertEqual(spec["dnsPolicy"], "ClusterFirstWithHostNet")
        # Root only to open the capture (NET_RAW), then setgroups,
        # setresgid, setresuid to [capture] user: SETGID, SETUID. NET_ADMIN
        # only with promiscuous mode.
        want = {"NET_RAW", "SETUID", "SETGID"}
        if self.ini_map.get(("capture", "promisc"), "no") in ("yes",
                                                              "true", "1"):
            want.add("NET_ADMIN")
        self.assertEqual(set(c["securityContext"]["capabilities"]["add"]),
                         want)
        self.assertEqual(len(c["securityContext"]["capabilities"]["add"]),
                         len(want))
        self.assertNotEqual(self.ini_map.get(("capture", "user"), "nobody"),
                            "", "the agent must drop root after the open")
        env = {e["name"]: e for e in c["env"]}
        self.assertEqual(env["NODE_NAME"]["valueFrom"]["fieldRef"]
                         ["fieldPath"], "spec.nodeName")
        self.assertIn("capture.agent_id=$(NODE_NAME)",
                      sets_of(c["command"] + c["args"]))
        # The ready file the probe reads is the one the agent writes, on
        # a writable volume.
        argv = c["command"] + c["args"]
        ready = argv[argv.index("--ready-file") + 1]
        self.assertIn(ready, " ".join(c["readinessProbe"]["exec"]
                                      ["command"]))
        mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
        self.assertIn(os.path.dirname(ready), mounts)
        vol = {v["name"]: v for v in spec["volumes"]}[
            mounts[os.path.dirname(ready)]["name"]]
        self.assertIn("emptyDir", vol)

    def test_aggregator_statefulset(self):
        spec = self.sts["spec"]
        self.assertEqual(spec["replicas"], 1)
        c = self.container(self.sts)
        claims = {t["metadata"]["name"] for t in spec["volumeClaimTemplates"]}
        store = self.ini_map[("store", "path")]
        mounts = [m for m in c["volumeMounts"]
                  if store.startswith(m["mountPath"].rstrip("/") + "/")]
        self.assertEqual(len(mounts), 1, "store.path on no volume")
        self.assertIn(mounts[0]["name"], claims)
        headless = [s for s in self.by_kind["Service"]
                    if s["metadata"]["name"] == spec["serviceName"]]
        self.assertEqual(len(headless), 1)
        self.assertEqual(headless[0]["spec"]["clusterIP"], "None")
        ports = {p["containerPort"] for p in c["ports"]}
        for key in ("listen", "query_listen"):
            port = int(self.ini_map[("aggregator", key)].rsplit(":", 1)[1])
            self.assertIn(port, ports, key)
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            cmd = c[probe]["exec"]["command"]
            self.assertEqual(cmd[0], "sessacct-aggregator")
            self.assertEqual(cmd[cmd.index("--query") + 1], "agents")
            self.assertGreater(c[probe]["timeoutSeconds"], 10)

    def test_api_probes(self):
        c = self.container(self.dep)
        ports = {p["name"]: p["containerPort"] for p in c["ports"]}
        listen = int(self.ini_map[("api", "listen")].rsplit(":", 1)[1])
        self.assertEqual(ports, {"http": listen})
        for probe in ("readinessProbe", "livenessProbe"):
            g = c[probe]["httpGet"]
            self.assertEqual(g["path"], "/health")
            self.assertEqual(ports.get(g["port"], g["port"]), listen)
        ann = self.dep["spec"]["template"]["metadata"]["annotations"]
        self.assertEqual(ann["prometheus.io/path"], "/metrics")
        self.assertEqual(int(ann["prometheus.io/port"]), listen)

    def test_services_match_pods(self):
        names = set()
        for s in self.by_kind["Service"]:
            names.add(s["metadata"]["name"])
            sel = s["spec"]["selector"]
            hits = [n for n, wl in self.pods.items()
                    if matches({"matchLabels": sel}, self.labels(wl))]
            self.assertEqual(len(hits), 1, s["metadata"]["name"])
            cports = {p["name"]: p["containerPort"] for p in
                      self.container(self.pods[hits[0]])["ports"]}
            for p in s["spec"]["ports"]:
                self.assertIn(p["targetPort"], cports)
                self.assertEqual(cports[p["targetPort"]], p["port"])
        # The endpoints the INI names are these Services.
        ns = self.one("Namespace")["metadata"]["name"]
        for key in (("capture", "aggregator"), ("api", "aggregator")):
            m = re.match(r"^tcp://([\w.-]+):(\d+)$", self.ini_map[key])
            self.assertTrue(m, key)
            host = m.group(1).split(".")
            self.assertIn(host[0], names)
            if len(host) > 1:
                self.assertEqual(host[1], ns)

    def test_network_policy(self):
        pols = {p["spec"]["podSelector"]["matchLabels"][
            "app.kubernetes.io/component"]: p
            for p in self.by_kind["NetworkPolicy"]}
        agg = pols["aggregator"]
        self.assertTrue(matches(agg["spec"]["podSelector"],
                                self.labels(self.sts)))
        self.assertEqual(agg["spec"]["policyTypes"], ["Ingress"])
        admitted = {}       # port -> components admitted by podSelector
        for rule in agg["spec"]["ingress"]:
            ports = [p["port"] for p in rule["ports"]]
            self.assertTrue(ports, "a rule for every port")
            for peer in rule["from"]:
                self.assertNotIn("namespaceSelector", peer)
                for port in ports:
                    for n, wl in self.pods.items():
                        if "podSelector" in peer and matches(
                                peer["podSelector"], self.labels(wl)):
                            admitted.setdefault(port, set()).add(n)
                    if "ipBlock" in peer:
                        # Only the agents (hostNetwork: node addresses)
                        # come by address, and only to ingest.
                        self.assertEqual(port, 7710)
        self.assertEqual(admitted, {7710: {"capture"}, 7711: {"api"}})
        api = pols["api"]
        self.assertTrue(matches(api["spec"]["podSelector"],
                                self.labels(self.dep)))
        self.assertEqual([p["port"] for r in api["spec"]["ingress"]
                          for p in r["ports"]], [9090])

    def test_commands_and_keys(self):
        keys = cfg_keys()
        for sk in ini_keys(self.ini):
            if sk[0] != "users":
                self.assertIn(sk, keys, "ConfigMap key")
        for name, wl in self.pods.items():
            c = self.container(wl)
            argvs = [c["command"] + c.get("args", [])]
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                if "exec" in c.get(probe, {}):
                    argvs.append(c[probe]["exec"]["command"])
            self.assertIn(argvs[0][0], self.binaries, name)
            self.assertEqual(argvs[0][0], "sessacct-" + name)
            for argv in argvs:
                self.assertTrue(argv[0] in self.binaries or
                                argv[0] == "/bin/sh", argv)
                for s in sets_of(argv):
                    k, sep, _ = s.partition("=")
                    sec, _, key = k.partition(".")
                    self.assertTrue(sep, s)
                    self.assertIn((sec, key), keys, s)
                if "--config" in argv:
                    self.assertEqual(argv[argv.index("--config") + 1],
                                     "/etc/sessacct/sessacct.ini")

    def argv(self, wl, ini, env):
        c = self.container(wl)
        argv = expand(c["command"] + c["args"], env)
        argv[argv.index("--config") + 1] = ini
        bins = {"sessacct-capture": ARGS.capture,
                "sessacct-aggregator": ARGS.aggregator,
                "sessacct-api": ARGS.api}
        return [bins[argv[0]]] + argv[1:]

    def test_check_config(self):
        """Each binary accepts the ConfigMap with its workload's flags."""
        td = tempfile.mkdtemp(prefix="sessacct-deploy.cfg.")
        try:
            ini = os.path.join(td, "sessacct.ini")
            with open(ini, "w") as f:
                f.write(self.ini)
            # --check-config reads the files the keys name, as the start
            # does: the tokens the Secret mounts in the cluster.
            tokens = os.path.join(td, "tokens")
            with open(tokens, "w") as f:
                f.write("%s\n" % ("ab" * 32))
            env = {"NODE_NAME": NODE, "POD_IP": POD_IP}
            for name, wl in self.pods.items():
                argv = [a for a in self.argv(wl, ini, env)]
                if "--ready-file" in argv:
                    i = argv.index("--ready-file")
                    del argv[i:i + 2]
                if name == "api":
                    argv += ["--set", "api.tokens_file=" + tokens]
                r = subprocess.run(argv + ["--check-config"],
                                   capture_output=True, text=True,
                                   timeout=60)
                self.assertEqual(r.returncode, 0, (name, r.stderr))
                self.assertIn("# configuration OK", r.stdout)
                if name == "capture":
                    self.assertRegex(r.stdout, r"(?m)^agent_id = %s$" % NODE)
        finally:
            shutil.rmtree(td, ignore_errors=True)

    def test_run_as_manifests_say(self):
        pr = Procs("k8s")
        try:
            ini = os.path.join(pr.td, "sessacct.ini")
            with open(ini, "w") as f:
                f.write(self.ini)
            tokens = os.path.join(pr.td, "tokens")
            with open(tokens, "w") as f:
                f.write(TOKEN + "\n")
            os.chmod(tokens, 0o600)
            env = {"NODE_NAME": NODE, "POD_IP": POD_IP}
            # The aggregator: the StatefulSet's command, on loopback ports
            # and a temp store.
            ready = os.path.join(pr.td, "agg.json")
            p_agg = pr.spawn("aggregator", self.argv(self.sts, ini, env) + [
                "--set", "store.path=" + os.path.join(pr.td, "db"),
                "--set", "aggregator.listen=tcp://127.0.0.1:0",
                "--set", "aggregator.query_listen=tcp://127.0.0.1:0",
                "--set", "aggregator.agent_timeout=3600",
                "--set", "store.retention_days=36500",
                "--ready-file", ready])
            agg = pr.ready(ready, p_agg, "aggregator")
            qport = agg["query"].rsplit(":", 1)[1]
            # The agent: the DaemonSet's command, replaying a capture
            # instead of the node's interface.
            c = self.container(self.ds)
            cap = self.argv(self.ds, ini, env)
            cready = os.path.join(pr.td, "capture.json")
            i = cap.index("--ready-file")
            probe_file = cap[i + 1]
            cap[i + 1] = cready
            r = subprocess.run(cap + [
                "--set", "capture.interface=",
                "--set", "capture.filter=",
                "--read", os.path.join(ARGS.pcaps, "socks.pcap"),
                "--connect", agg["ingest"]], capture_output=True, text=True,
                timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            probe = [a.replace(probe_file, cready)
                     for a in c["readinessProbe"]["exec"]["command"]]
            self.assertEqual(subprocess.run(probe).returncode, 0)
            os.unlink(cready)
            self.assertNotEqual(subprocess.run(probe).returncode, 0)
            # The aggregator's exec probes, as written, on the real port.
            sc = self.container(self.sts)
            for name in ("startupProbe", "readinessProbe", "livenessProbe"):
                cmd = [a.replace(":7711", ":" + qport)
                       for a in sc[name]["exec"]["command"]]
                cmd[cmd.index("--config") + 1] = ini
                cmd[0] = ARGS.aggregator
                r = subprocess.run(cmd, capture_output=True, text=True,
                                   timeout=sc[name]["timeoutSeconds"])
                self.assertEqual(r.returncode, 0, (name, r.stderr))
            agents = [a["agent"] for a in json.loads(r.stdout)["agents"]]
            self.assertEqual(agents, [NODE])
            # The API: the Deployment's command, on a loopback port.
            aready = os.path.join(pr.td, "api.json")
            p_api = pr.spawn("api", self.argv(self.dep, ini, env) + [
                "--set", "api.listen=127.0.0.1:0",
                "--set", "api.aggregator=" + agg["query"],
                "--set", "api.tokens_file=" + tokens,
                "--ready-file", aready])
            base = "http://" + pr.ready(aready, p_api, "api")["http"]
            port = base.rsplit(":", 1)[1]
            ac = self.container(self.dep)
            for name in ("readinessProbe", "livenessProbe"):
                g = ac[name]["httpGet"]
                hdr = {h["name"]: h["value"] for h in g["httpHeaders"]}
                st, body = http_get(base + g["path"], hdr)
                self.assertEqual(st, 200, body)
                h = json.loads(body)
                self.assertEqual(h["status"], "ok", h)
                self.assertTrue(h["aggregator"]["reachable"], h)
                self.assertEqual(h["auth"], "bearer")
            # Prometheus scrapes the pod by its IP; a foreign name is
            # refused; data routes want the token.
            st, body = http_get(base + "/metrics",
                                {"Host": "%s:%s" % (POD_IP, port)})
            self.assertEqual(st, 200)
            self.assertIn(b"sessacct_agent_up{agent=\"%s\"} 1" %
                          NODE.encode(), body)
            st, _ = http_get(base + "/health", {"Host": "evil.example"})
            self.assertEqual(st, 421)
            st, _ = http_get(base + "/api/agents", {"Host": "localhost"})
            self.assertEqual(st, 401)
            st, body = http_get(base + "/api/agents", {
                "Host": "sessacct-api.sessacct.svc",
                "Authorization": "Bearer " + TOKEN})
            self.assertEqual(st, 200, body)
            self.assertEqual([a["agent"] for a in
                              json.loads(body)["agents"]], [NODE])
            # Once the aggregator is gone, its probe fails.
            self.assertEqual(pr.stop_one(p_agg), 0)
            cmd = [a.replace(":7711", ":" + qport)
                   for a in sc["livenessProbe"]["exec"]["command"]]
            cmd[cmd.index("--config") + 1] = ini
            cmd[0] = ARGS.aggregator
            r = subprocess.run(cmd, capture_output=True, text=True,
                               timeout=sc["livenessProbe"]["timeoutSeconds"])
            self.assertNotEqual(r.returncode, 0)
        except AssertionError:
            print(pr.tails(), file=sys.stderr)
            raise
        finally:
            bad = pr.stop()
        self.assertEqual(bad, [])


PROM_DIR = ("deploy", "prometheus")


class Prometheus(unittest.TestCase):

    def promtool(self, *argv):
        r = subprocess.run(["promtool"] + list(argv), cwd=src(*PROM_DIR),
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r.stdout

    def test_check_config(self):
        out = self.promtool("check", "config", "prometheus.yml")
        self.assertIn("1 rule files found", out)

    def test_check_rules(self):
        self.promtool("check", "rules", "sessacct-rules.yml")

    def test_rules_unit_tests(self):
        self.promtool("test", "rules", "sessacct-rules.test.yml")

    def test_every_alert_tested_both_ways(self):
        with open(src(*PROM_DIR, "sessacct-rules.yml")) as f:
            rules = yaml.safe_load(f)
        with open(src(*PROM_DIR, "sessacct-rules.test.yml")) as f:
            tests = yaml.safe_load(f)
        alerts = [r["alert"] for g in rules["groups"] for r in g["rules"]]
        for want in ("AgentSilent", "CaptureDrops", "BatchesLost",
                     "DecodeErrorsRising", "TableNearCapacity",
                     "StoreWriteSlow", "StoreQuarantined", "StoreCorrupt",
                     "Api5xx", "AggregatorDown"):
            self.assertIn("Sessacct" + want, alerts)
        fires, quiet = set(), set()
        for t in tests["tests"]:
            for a in t["alert_rule_test"]:
                (fires if a["exp_alerts"] else quiet).add(a["alertname"])
        self.assertEqual(fires, set(alerts))
        # Quiet: before "for" passes, or another series in the same
        # input that does not fire (every test input has one).
        for t in tests["tests"]:
            self.assertGreater(len(t["input_series"]), 1)
        self.assertEqual(quiet | {"SessacctStoreQuarantined",
                                  "SessacctStoreCorrupt"}, set(alerts))

    def test_rule_metrics_documented(self):
        with open(src(*PROM_DIR, "sessacct-rules.yml")) as f:
            rules = yaml.safe_load(f)
        doc = documented_metrics()
        for g in rules["groups"]:
            for r in g["rules"]:
                names = metric_names(r["expr"])
                self.assertTrue(names or "up{" in r["expr"], r["alert"])
                self.assertLessEqual(names, doc, r["alert"])


class Grafana(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        with open(src("deploy", "grafana", "sessacct.json")) as f:
            cls.dash = json.load(f)
        cls.exprs = []
        for p in cls.dash["panels"]:
            for t in p.get("targets", []):
                cls.exprs.append(t["expr"])
        for v in cls.dash["templating"]["list"]:
            if v["type"] == "query":
                cls.exprs.append(v["query"]["query"])

    def test_importable(self):
        d = self.dash
        self.assertIsInstance(d["schemaVersion"], int)
        self.assertGreaterEqual(d["schemaVersion"], 30)
        self.assertTrue(d["uid"] and d["title"])
        self.assertIsNone(d.get("id"))
        tv = {v["name"]: v for v in d["templating"]["list"]}
        self.assertEqual(tv["datasource"]["type"], "datasource")
        self.assertEqual(tv["datasource"]["query"], "prometheus")
        ids = [p["id"] for p in d["panels"]]
        self.assertEqual(len(ids), len(set(ids)))
        ds = {"type": "prometheus", "uid": "${datasource}"}
        for p in d["panels"]:
            self.assertIn("gridPos", p)
            if p["type"] in ("row", "text"):
                continue
            self.assertEqual(p["datasource"], ds, p["title"])
            self.assertTrue(p["targets"], p["title"])
            for t in p["targets"]:
                self.assertEqual(t["datasource"], ds, p["title"])
        for v in tv.values():
            if v["type"] == "query":
                self.assertEqual(v["datasource"], ds)
        # Every variable a query uses is defined.
        for e in self.exprs:
            for var in re.findall(r"\$(\w+)", e):
                if not var.startswith("__"):
                    self.assertIn(var, tv, e)

    def test_sections(self):
        titles = " | ".join(p["title"] for p in self.dash["panels"])
        for want in ("Sessions", "Traffic", "Top users", "Agents", "Store",
                     "API"):
            self.assertIn(want, titles)
        names = set()
        for e in self.exprs:
            names |= metric_names(e)
        for want in ("sessacct_sessions_active", "sessacct_bytes_total",
                     "sessacct_sessions_ended_total",
                     "sessacct_user_bytes_total",
                     "sessacct_destination_bytes_total",
                     "sessacct_agent_packets_dropped_total",
                     "sessacct_agent_decode_errors_total",
                     "sessacct_agent_batches_lost_total",
                     "sessacct_agent_last_heard_timestamp_seconds",
                     "sessacct_aggregator_store_write_duration_seconds",
                     "sessacct_aggregator_store_quarantined",
                     "sessacct_api_requests_total"):
            self.assertIn(want, names)

    def test_metrics_documented(self):
        doc = documented_metrics()
        for e in self.exprs:
            self.assertLessEqual(metric_names(e), doc, e)

    def test_queries_on_real_metrics(self):
        if shutil.which("prometheus") is None:
            self.fail("prometheus is not installed (deploy/install-deps.sh)")
        pr = Procs("grafana")
        try:
            ready = os.path.join(pr.td, "agg.json")
            p = pr.spawn("aggregator", [
                ARGS.aggregator,
                "--set", "store.path=" + os.path.join(pr.td, "db"),
                "--set", "aggregator.listen=tcp://127.0.0.1:0",
                "--set", "aggregator.query_listen=tcp://127.0.0.1:0",
                "--set", "aggregator.agent_timeout=3600",
                "--set", "store.retention_days=36500",
                "--ready-file", ready])
            agg = pr.ready(ready, p, "aggregator")
            # malformed.pcap: decode errors (a series only once an agent
            # has one).
            for pcap in ("socks.pcap", "http.pcapng", "dns.pcap",
                         "crafted/malformed.pcap"):
                r = subprocess.run([
                    ARGS.capture, "--read", os.path.join(ARGS.pcaps, pcap),
                    "--connect", agg["ingest"],
                    "--set", "capture.agent_id=" +
                    os.path.basename(pcap).split(".")[0]],
                    capture_output=True, text=True, timeout=120)
                self.assertEqual(r.returncode, 0, r.stderr)
            aready = os.path.join(pr.td, "api.json")
            p = pr.spawn("api", [ARGS.api, "--set", "api.listen=127.0.0.1:0",
                                 "--set", "api.aggregator=" + agg["query"],
                                 "--ready-file", aready])
            target = pr.ready(aready, p, "api")["http"]
            # A scrape counts itself in the next one (the request
            # counters): scrape twice.
            for _ in range(2):
                st, body = http_get("http://%s/metrics" % target)
                self.assertEqual(st, 200)
            scraped = scraped_families(body.decode())
            # Per-destination series of the replayed sessions, not only
            # the "other" every scrape has: the panel would be empty.
            dests = set(re.findall(
                r'^sessacct_destination_bytes_total\{destination="'
                r'((?:[^"\\]|\\.)*)",direction="sent"\} [1-9]',
                body.decode(), re.M)) - {"other"}
            self.assertGreaterEqual(len(dests), 3, body.decode())
            doc = documented_metrics()
            for e in self.exprs:
                names = metric_names(e)
                self.assertLessEqual(names, scraped, e)
                self.assertLessEqual(names, doc, e)
            # A real Prometheus scrapes that API every second with the
            # alert rules loaded.
            port = free_port()
            cfgp = os.path.join(pr.td, "prometheus.yml")
            shutil.copy(src(*PROM_DIR, "sessacct-rules.yml"), pr.td)
            with open(cfgp, "w") as f:
                f.write("global:\n  scrape_interval: 1s\n"
                        "  evaluation_interval: 1s\n"
                        "rule_files:\n  - sessacct-rules.yml\n"
                        "scrape_configs:\n  - job_name: sessacct\n"
                        "    static_configs:\n"
                        "      - targets: ['%s']\n" % target)
            pr.spawn("prometheus", [
                "prometheus", "--config.file=" + cfgp,
                "--storage.tsdb.path=" + os.path.join(pr.td, "tsdb"),
                "--web.listen-address=127.0.0.1:%d" % port,
                "--log.level=warn"])
            prom = "http://127.0.0.1:%d" % port
            subst = {"$__rate_interval": "10s", "$__range": "1m",
                     "$job": "sessacct", "$instance": target,
                     "$agent": ".*"}

            def query(e):
                for k, v in subst.items():
                    e = e.replace(k, v)
                if e.startswith("label_values("):
                    m = re.match(r"^label_values\((.*), (\w+)\)$", e)
                    st, body = http_get(
                        prom + "/api/v1/series?" + urllib.parse.urlencode(
                            {"match[]": m.group(1)}))
                    self.assertEqual(st, 200, (e, body))
                    return [s[m.group(2)] for s in
                            json.loads(body)["data"] if m.group(2) in s]
                st, body = http_get(prom + "/api/v1/query?" +
                                    urllib.parse.urlencode({"query": e}))
                self.assertEqual(st, 200, (e, body))
                r = json.loads(body)
                self.assertEqual(r["status"], "success", (e, r))
                return r["data"]["result"]

            # Wait for 15 s of scrapes (rates over 10 s have data).
            deadline = time.monotonic() + 90
            while True:
                try:
                    n = query("count_over_time(sessacct_build_info[1m])")
                except (OSError, AssertionError):
                    n = []
                if n and float(n[0]["value"][1]) >= 15:
                    break
                self.assertLess(time.monotonic(), deadline, pr.tails())
                time.sleep(0.5)
            # Only a filter for non-zero rates may come back empty here.
            empty = []
            for e in self.exprs:
                if not query(e) and not e.rstrip().endswith("> 0"):
                    empty.append(e)
            self.assertEqual(empty, [])
            self.assertEqual(sorted(query(
                'label_values(sessacct_agent_info{job="$job",'
                'instance="$instance"}, agent)')),
                ["dns", "http", "malformed", "socks"])
            # The alert rules evaluate on these series without error.
            st, body = http_get(prom + "/api/v1/rules")
            groups = json.loads(body)["data"]["groups"]
            rules = [r for g in groups for r in g["rules"]]
            self.assertEqual(len(rules), 12)
            deadline = time.monotonic() + 30
            while any(r.get("lastEvaluation", "").startswith("0001")
                      for r in rules):
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.5)
                rules = [r for g in json.loads(http_get(
                    prom + "/api/v1/rules")[1])["data"]["groups"]
                    for r in g["rules"]]
            for r in rules:
                self.assertEqual(r["health"], "ok", r)
                self.assertEqual(r["state"], "inactive", r)
        except AssertionError:
            print(pr.tails(), file=sys.stderr)
            raise
        finally:
            bad = pr.stop()
        self.assertEqual(bad, [])


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", required=True)
    ap.add_argument("--capture", required=True)
    ap.add_argument("--aggregator", required=True)
    ap.add_argument("--api", required=True)
    ap.add_argument("--pcaps", required=True)
    ARGS, rest = ap.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
