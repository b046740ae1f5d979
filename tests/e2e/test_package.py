#!/usr/bin/env python3
"""The Debian package and its manual pages (docs/PACKAGING.md).

Groups (one ctest entry each):
  Man   the manual pages in docs/man are true to the binaries: every
        option a binary's --help prints has an entry (.TP) in its page and
        every entry names options --help prints; every section its
        --check-config prints is named in its page; every key of
        common/cfg_keys.c has an entry in its section of sessacct.ini(5)
        with its default and range, and no entry names a key the table
        lacks; man(1) renders every page without a warning; the pages,
        debian/changelog and --version name the same version. On a
        failure it prints the entries to paste.
  Deb   builds the package from a copy of the tree with
        `dpkg-buildpackage -us -uc -b` (kept in SA_PACKAGE_DIR, default
        build-package/ in the tree, so the next run rebuilds only what
        changed), runs lintian on it (no error allowed), installs it with
        dpkg -i (apt-get install -f for its dependencies), runs every
        installed binary (--version, --check-config of the installed
        /etc/sessacct/sessacct.ini, an offline read that must print what
        the build's own sessacct-capture prints, the installed API serving
        the installed dashboard), removes it (a local change to the
        conffile and /var/lib/sessacct stay) and installs it again (the
        change is kept), then purges it and checks that nothing
        it installed or created is left (the two system users stay, as
        Debian does). Needs root and dpkg-buildpackage; skipped, saying
        so, without them. An installed sessacct package is replaced and
        purged.

usage: test_package.py --capture BIN --aggregator BIN --api BIN
                       --source DIR [--pcaps DIR] [--work DIR]
                       [unittest args, e.g. Man]
"""
import argparse
import fcntl
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

ARGS = None

PAGES = {
    "sessacct-capture": "sessacct-capture.8",
    "sessacct-aggregator": "sessacct-aggregator.8",
    "sessacct-api": "sessacct-api.8",
}
INI_PAGE = "sessacct.ini.5"

# --- the configuration table, read from its source ---------------------

KIB, MIB, GIB = 1024, 1024 ** 2, 1024 ** 3
CFG_ROW = re.compile(
    r'\{\s*"(\w+)",\s*"(\w+)",\s*CFG_T_(\w+),\s*((?:"(?:[^"\\]|\\.)*"\s*)+),'
    r'\s*([^,{}]+),\s*([^,{}]+),\s*((?:"(?:[^"\\]|\\.)*"\s*)+)\}', re.S)


def c_string(s):
    return "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', s)).replace('\\"', '"')


def c_number(expr):
    """A bound of cfg_keys.c: integers, KiB/MiB/GiB, <<, *, UINT64_C."""
    e = re.sub(r"UINT64_C\(([^)]*)\)", r"(\1)", expr)
    e = re.sub(r"(\d+)U?L{0,2}\b", r"\1", e)
    if not re.fullmatch(r"[\d\s()*<+KMGiB]*", e):
        raise ValueError("cannot read the bound %r" % expr)
    return eval(e, {"__builtins__": {}}, {"KiB": KIB, "MiB": MIB, "GiB": GIB})


def cfg_keys(path):
    """Every row of cfg_defs[] as a dict, in table order."""
    with open(path) as fp:
        text = fp.read()
    return [dict(section=m[1], key=m[2], type=m[3], default=c_string(m[4]),
                 min=c_number(m[5]), max=c_number(m[6]), desc=c_string(m[7]))
            for m in CFG_ROW.finditer(text)]


def size_text(n):
    for suf, unit in (("g", GIB), ("m", MIB), ("k", KIB)):
        if n >= unit and n % unit == 0:
            return "%d%s" % (n // unit, suf)
    return str(n)


def key_facts(k):
    """The line sessacct.ini(5) gives a key: its default and its range."""
    t = k["type"]
    if t == "BOOL":
        rng = "yes or no"
    elif t == "STR":
        rng = "text, up to %d characters" % k["max"]
    elif t == "SIZE":
        rng = "size, %s to %s" % (size_text(k["min"]), size_text(k["max"]))
    elif t == "DURATION":
        rng = "duration, %d to %d seconds" % (k["min"], k["max"])
    else:
        rng = "%d to %d" % (k["min"], k["max"])
    return "Default: %s; %s." % (k["default"] or "empty", rng)


def roff_escape(s):
    return s.replace("\\", "\\e").replace("-", "\\-")


def key_entry(k):
    """A key's entry in sessacct.ini(5), ready to paste."""
    desc = k["desc"][:1].upper() + k["desc"][1:]
    return ".TP\n.B %s\n%s.\n%s\n" % (k["key"], roff_escape(desc),
                                     roff_escape(key_facts(k)))


# --- manual pages -------------------------------------------------------

def roff_plain(line):
    """A roff source line as text: fonts dropped, escapes resolved."""
    line = re.sub(r"\\f[BIRP]|\\f\[[A-Z]*\]", "", line)
    return (line.replace("\\-", "-").replace("\\e", "\\")
            .replace("\\&", "").replace('\\"', '"'))


def page_lines(name):
    with open(os.path.join(ARGS.source, "docs", "man", name)) as fp:
        return [l.rstrip("\n") for l in fp if not l.startswith('.\\"')]


def page_text(name):
    return "\n".join(roff_plain(re.sub(r"^\.(B|I|BR|RB|IR|RI|BI|IB) ", "",
                                       l)) for l in page_lines(name))


def tp_tags(name):
    """The tag line of every .TP entry, as text."""
    lines = page_lines(name)
    return [roff_plain(lines[i + 1]) for i, l in enumerate(lines[:-1])
            if l == ".TP"]


def help_options(binary):
    """The flag spelling of every option line of --help: '-r, --read'."""
    r = subprocess.run([binary, "--help"], capture_output=True, text=True,
                       timeout=30)
    out = r.stdout + r.stderr
    opts = []
    for line in out.splitlines():
        m = re.match(r"^\s{1,8}((?:-\w, )?--[\w-]+)", line)
        if m:
            opts.append(m.group(1))
    return opts, out


def check_config_sections(binary):
    r = subprocess.run([binary, "--check-config"], capture_output=True,
                       text=True, timeout=30)
    if r.returncode != 0:
        raise AssertionError("%s --check-config: exit %d: %s" %
                             (binary, r.returncode, r.stderr))
    sections, section = {}, None
    for line in r.stdout.splitlines():
        m = re.match(r"^\[(\w+)\]$", line)
        if m:
            section = m.group(1)
            sections[section] = []
        elif section and re.match(r"^\w+ = ", line):
            sections[section].append(line.split(" = ")[0])
    return sections


def binary_version(binary):
    r = subprocess.run([binary, "--version"], capture_output=True,
                       text=True, timeout=30)
    return r.stdout.strip().split()[-1]


def changelog_version():
    with open(os.path.join(ARGS.source, "debian", "changelog")) as fp:
        return re.match(r"^sessacct \(([^)]+)\)", fp.readline()).group(1)


class Man(unittest.TestCase):

    def binaries(self):
        return {"sessacct-capture": ARGS.capture,
                "sessacct-aggregator": ARGS.aggregator,
                "sessacct-api": ARGS.api}

    def test_man_options_match_help(self):
        for prog, binary in self.binaries().items():
            opts, helptext = help_options(binary)
            self.assertGreater(len(opts), 3, helptext)
            tags = tp_tags(PAGES[prog])
            missing = [o for o in opts
                       if not any(t.startswith(o) and
                                  not re.match(r"[\w-]", t[len(o):len(o) + 1])
                                  for t in tags)]
            self.assertEqual(missing, [], "%s(8) has no entry for %s; add "
                             "e.g. '.TP\\n\\fB\\-\\-flag\\fR \\fIARG\\fR\\n"
                             "What it does.' to docs/man/%s" %
                             (prog, missing, PAGES[prog]))
            helpflags = set(re.findall(r"--[\w-]+", helptext))
            stale = [t for t in tags if t.startswith("-")
                     for f in re.findall(r"--[\w-]+", t)
                     if f not in helpflags]
            self.assertEqual(stale, [], "%s(8) documents options %s that "
                             "--help does not print" % (prog, stale))

    def test_man_names_sections(self):
        for prog, binary in self.binaries().items():
            text = page_text(PAGES[prog])
            for section in check_config_sections(binary):
                self.assertIn("[%s]" % section, text,
                              "%s(8) does not name the section [%s] that "
                              "its --check-config prints" % (prog, section))

    def test_ini_page_has_every_key(self):
        keys = cfg_keys(os.path.join(ARGS.source, "common", "cfg_keys.c"))
        self.assertGreater(len(keys), 50)
        # The table as parsed here must be the table the binaries use.
        parsed = {(k["section"], k["key"]) for k in keys}
        for prog, binary in self.binaries().items():
            for section, names in check_config_sections(binary).items():
                for name in names:
                    self.assertIn((section, name), parsed,
                                  "%s prints [%s] %s, not found in "
                                  "cfg_keys.c by this test's parser" %
                                  (prog, section, name))
        lines = page_lines(INI_PAGE)
        documented, section = {}, None
        for i, l in enumerate(lines):
            m = re.match(r'^\.SH "\[(\w+)\]"$', l)
            if m:
                section = m.group(1)
            elif l.startswith(".SH"):
                section = None
            elif (l == ".TP" and section and i + 3 < len(lines)
                  and lines[i + 1].startswith(".B ")):
                name = lines[i + 1][3:].strip()
                documented[(section, name)] = roff_plain(lines[i + 3])
        wrong = []
        for k in keys:
            want = key_facts(k)
            have = documented.get((k["section"], k["key"]))
            if have != want:
                wrong.append(k)
        paste = "".join("[%s] %s:\n%s" % (k["section"], k["key"],
                                          key_entry(k)) for k in wrong)
        if wrong:
            self.fail("sessacct.ini(5) lacks these entries or has another "
                      "default or range; put each in its .SH \"[section]\" "
                      "of docs/man/%s:\n%s" % (INI_PAGE, paste))
        stale = sorted(set(documented) - parsed)
        self.assertEqual(stale, [], "sessacct.ini(5) documents keys that "
                         "common/cfg_keys.c does not have: %s" % stale)
        for section in {k["section"] for k in keys} | {"users"}:
            self.assertIn('.SH "[%s]"' % section, lines)

    def test_man_renders_without_warnings(self):
        man = shutil.which("man")
        if man is None:
            self.skipTest("man is not installed (Debian: man-db)")
        for name in list(PAGES.values()) + [INI_PAGE]:
            r = subprocess.run(
                [man, "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z",
                 os.path.join(ARGS.source, "docs", "man", name)],
                capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stderr.strip(), "", "%s: %s" % (name,
                                                               r.stderr))

    def test_versions_agree(self):
        want = changelog_version()
        for prog, binary in self.binaries().items():
            self.assertEqual(binary_version(binary), want,
                             "%s --version against debian/changelog "
                             "(add a changelog entry: dch -v)" % prog)
        for name in list(PAGES.values()) + [INI_PAGE]:
            th = [l for l in page_lines(name) if l.startswith(".TH ")][0]
            self.assertIn('"sessacct %s"' % want, th, name)


# --- the package --------------------------------------------------------

def run(cmd, **kw):
    kw.setdefault("timeout", 600)
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise AssertionError("%s: exit %d\n%s\n%s" % (
            " ".join(cmd), r.returncode, r.stdout[-4000:], r.stderr[-4000:]))
    return r


def run_dpkg(cmd, **kw):
    """A dpkg or apt command, waiting up to 5 min for a lock held by
    another process (another test run, an engineer's apt-get)."""
    deadline = time.monotonic() + 300
    while True:
        r = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=600, **kw)
        locked = "lock" in r.stderr and ("dpkg" in r.stderr
                                          or "apt" in r.stderr)
        if r.returncode == 0 or not locked or time.monotonic() > deadline:
            return r
        time.sleep(2)


def tree_files(src):
    """The files of a checkout of the tree: tracked and untracked but not
    ignored when it is a git work tree, else everything outside build*."""
    if os.path.isdir(os.path.join(src, ".git")) and shutil.which("git"):
        r = subprocess.run(["git", "-C", src, "ls-files", "-co",
                            "--exclude-standard", "-z"],
                           capture_output=True, timeout=120)
        if r.returncode == 0:
            return [f for f in r.stdout.decode().split("\0")
                    if f and os.path.lexists(os.path.join(src, f))]
    out = []
    for root, dirs, files in os.walk(src):
        rel = os.path.relpath(root, src)
        dirs[:] = [d for d in dirs if not (rel == "." and
                   (d.startswith("build") or d == ".git"))]
        out += [os.path.normpath(os.path.join(rel, f)) for f in files]
    return out


# What dpkg-buildpackage makes in the copy, kept between runs (obj-*: the
# CMake build) or remade every run (debhelper's state).
BUILD_PRODUCTS = re.compile(r"^(obj-[^/]+/|debian/((sessacct|tmp|\.debhelper)"
                            r"(/|$)|files$|debhelper-build-stamp$|"
                            r"[^/]*\.substvars$|[^/]*\.debhelper\.log$|"
                            r"[^/]*\.debhelper$))")


def sync_tree(src, dst):
    """Make dst a copy of the tree at src, keeping modification times so
    that the kept CMake build recompiles only what changed."""
    want = set(tree_files(src))
    os.makedirs(dst, exist_ok=True)
    for root, dirs, files in os.walk(dst, topdown=False):
        for f in files + [d for d in dirs
                          if os.path.islink(os.path.join(root, d))]:
            rel = os.path.relpath(os.path.join(root, f), dst)
            if rel not in want and not BUILD_PRODUCTS.match(rel):
                os.unlink(os.path.join(root, f))
    for rel in want:
        s, d = os.path.join(src, rel), os.path.join(dst, rel)
        os.makedirs(os.path.dirname(d), exist_ok=True)
        if os.path.islink(s):
            if not os.path.islink(d) or os.readlink(d) != os.readlink(s):
                if os.path.lexists(d):
                    os.unlink(d)
                os.symlink(os.readlink(s), d)
            continue
        ss = os.stat(s)
        try:
            ds = os.lstat(d)
            if (ds.st_size == ss.st_size and ds.st_mtime_ns == ss.st_mtime_ns
                    and not os.path.islink(d)):
                continue
            os.unlink(d)
        except FileNotFoundError:
            pass
        shutil.copy2(s, d)
    for rel in os.listdir(os.path.join(dst, "debian")):
        if BUILD_PRODUCTS.match("debian/" + rel):
            p = os.path.join(dst, "debian", rel)
            if os.path.isdir(p) and not os.path.islink(p):
                shutil.rmtree(p)
            else:
                os.unlink(p)


def installed(pkg):
    r = subprocess.run(["dpkg-query", "-W", "-f=${db:Status-Status}", pkg],
                       capture_output=True, text=True)
    return r.returncode == 0 and r.stdout.strip() not in ("", "not-installed")


def wait_file(path, proc, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            with open(path) as fp:
                try:
                    return json.load(fp)
                except ValueError:
                    pass
        if proc.poll() is not None:
            raise AssertionError("exited %d before ready: %s" % (
                proc.returncode, proc.stderr.read()))
        time.sleep(0.05)
    raise AssertionError("no ready file %s" % path)


@unittest.skipUnless(os.geteuid() == 0, "dpkg -i needs root")
class Deb(unittest.TestCase):

    def setUp(self):
        for tool in ("dpkg-buildpackage", "dh", "lintian"):
            if shutil.which(tool) is None:
                self.skipTest("%s is not installed (deploy/install-deps.sh "
                              "installs dpkg-dev, debhelper, lintian)" % tool)

    def log(self, msg):
        sys.stderr.write("  [%s]\n" % msg)
        sys.stderr.flush()

    def build(self, work):
        src = os.path.join(work, "sessacct")
        t0 = time.monotonic()
        sync_tree(ARGS.source, src)
        for old in glob.glob(os.path.join(work, "sessacct*_*")):
            os.unlink(old)
        env = dict(os.environ, DEB_BUILD_OPTIONS="parallel=%d" %
                   min(os.cpu_count() or 1, 2))
        # -nc: the CMake build in obj-*/ is kept (sync_tree removed
        # debhelper's state, so every dh step runs again).
        run(["dpkg-buildpackage", "-us", "-uc", "-b", "-nc"], cwd=src,
            env=env, timeout=1200)
        debs = glob.glob(os.path.join(work, "sessacct_*.deb"))
        self.assertEqual(len(debs), 1, os.listdir(work))
        self.log("built %s in %.0f s" % (os.path.basename(debs[0]),
                                         time.monotonic() - t0))
        return debs[0]

    def lintian(self, deb):
        t0 = time.monotonic()
        r = subprocess.run(["lintian", "--display-info", deb],
                           capture_output=True, text=True, timeout=600)
        tags = [l for l in r.stdout.splitlines() if re.match(r"^[EWIXPO]: ",
                                                             l)]
        self.log("lintian in %.0f s: %d errors, %d warnings, %d notes%s" % (
            time.monotonic() - t0,
            sum(t.startswith("E:") for t in tags),
            sum(t.startswith("W:") for t in tags),
            sum(t.startswith("I:") for t in tags),
            "".join("\n    " + t for t in tags)))
        errors = [t for t in tags if t.startswith("E:")]
        self.assertEqual(errors, [], r.stdout + r.stderr)

    def check_fields(self, deb):
        depends = run(["dpkg-deb", "-f", deb, "Depends"]).stdout
        # From the binaries' shared libraries (dpkg-shlibdeps).
        for lib in ("libpcap0.8", "librocksdb", "libzmq5", "libczmq4",
                    "libcivetweb", "libjansson4", "libinih1", "libc6"):
            self.assertIn(lib, depends)
        files = run(["dpkg-deb", "-c", deb]).stdout
        for path in ("./usr/sbin/sessacct-capture",
                     "./usr/sbin/sessacct-aggregator",
                     "./usr/sbin/sessacct-api",
                     "./lib/systemd/system/sessacct-aggregator.service",
                     "./lib/systemd/system/sessacct-api.service",
                     "./lib/systemd/system/sessacct-capture@.service",
                     "./usr/lib/sysusers.d/sessacct.conf",
                     "./usr/lib/tmpfiles.d/sessacct.conf",
                     "./etc/sessacct/sessacct.ini",
                     "./usr/share/sessacct/static/index.html",
                     "./usr/share/doc/sessacct/README.md.gz",
                     "./usr/share/man/man5/sessacct.ini.5.gz"):
            self.assertIn(" " + path + "\n", files + "\n", path)
        for sbin in re.findall(r" \./usr/sbin/(\S+)\n", files):
            self.assertIn("./usr/share/man/man8/%s.8.gz" % sbin, files,
                          "%s has no manual page" % sbin)

    def check_installed(self, work):
        ver = changelog_version()
        conf = "/etc/sessacct/sessacct.ini"
        conffiles = run(["dpkg-query", "-W", "-f=${Conffiles}",
                         "sessacct"]).stdout
        self.assertIn(conf, conffiles)
        for prog in PAGES:
            binary = "/usr/sbin/" + prog
            self.assertEqual(run([binary, "--version"]).stdout.strip(),
                             "%s %s" % (prog, ver))
            r = run([binary, "--config", conf, "--check-config"])
            self.assertIn("# configuration OK", r.stdout)
            self.assertTrue(run(["man", "-w", prog]).stdout.strip())
        # The units are installed, none enabled (docs/PACKAGING.md).
        for unit in ("sessacct-aggregator.service", "sessacct-api.service",
                     "sessacct-capture@.service"):
            self.assertTrue(os.path.exists("/lib/systemd/system/" + unit))
        self.assertEqual(glob.glob("/etc/systemd/system/*/sessacct*"), [])
        # sysusers and tmpfiles ran in postinst.
        run(["getent", "passwd", "sessacct"])
        run(["getent", "passwd", "sessacct-capture"])
        st = os.stat("/var/lib/sessacct")
        self.assertEqual(oct(st.st_mode & 0o7777), "0o750")
        self.assertEqual(run(["id", "-u", "sessacct"]).stdout.strip(),
                         str(st.st_uid))
        # An offline read: the same sessions as the build's own binary.
        pcap = os.path.join(ARGS.pcaps or os.path.join(ARGS.source, "tests",
                                                       "pcap"), "http.pcapng")
        got = run(["/usr/sbin/sessacct-capture", "--config", conf,
                   "--read", pcap, "--print"]).stdout
        want = run([ARGS.capture, "--read", pcap, "--print"]).stdout
        self.assertGreater(len(got.splitlines()), 0)
        self.assertEqual(got, want)
        # The installed aggregator and API together, the API serving the
        # installed dashboard (its built-in static directory).
        tmp = tempfile.mkdtemp(prefix="sa-pkg-", dir=work)
        procs = []
        try:
            agg = subprocess.Popen(
                ["/usr/sbin/sessacct-aggregator", "--config", conf,
                 "--set", "store.path=" + os.path.join(tmp, "db"),
                 "--set", "aggregator.listen=tcp://127.0.0.1:0",
                 "--set", "aggregator.query_listen=tcp://127.0.0.1:0",
                 "--ready-file", os.path.join(tmp, "agg.json")],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            procs.append(agg)
            ready = wait_file(os.path.join(tmp, "agg.json"), agg)
            api = subprocess.Popen(
                ["/usr/sbin/sessacct-api", "--config", conf,
                 "--set", "api.listen=127.0.0.1:0",
                 "--set", "api.aggregator=" + ready["query"],
                 "--ready-file", os.path.join(tmp, "api.json")],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            procs.append(api)
            http = wait_file(os.path.join(tmp, "api.json"), api)["http"]
            with urllib.request.urlopen("http://%s/health" % http,
                                        timeout=10) as r:
                health = json.load(r)
            self.assertEqual(health.get("status"), "ok", health)
            self.assertTrue(health["aggregator"]["reachable"], health)
            with urllib.request.urlopen("http://%s/" % http,
                                        timeout=10) as r:
                self.assertIn(b"<html", r.read().lower())
            for p in procs[::-1]:
                p.terminate()
                self.assertEqual(p.wait(timeout=60), 0, p.stderr.read())
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
                p.stderr.close()
            shutil.rmtree(tmp, ignore_errors=True)

    def check_remove_keeps_config(self, deb):
        """A local change to the conffile survives remove and reinstall;
        remove keeps the configuration and the state directory."""
        conf = "/etc/sessacct/sessacct.ini"
        mark = "; local change kept by dpkg (test_package.py)\n"
        with open(conf, "a") as fp:
            fp.write(mark)
        r = run_dpkg(["dpkg", "--remove", "sessacct"])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertFalse(os.path.exists("/usr/sbin/sessacct-api"))
        self.assertTrue(os.path.isdir("/var/lib/sessacct"))
        with open(conf) as fp:
            self.assertTrue(fp.read().endswith(mark))
        r = run_dpkg(["dpkg", "-i", deb])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        with open(conf) as fp:
            self.assertTrue(fp.read().endswith(mark))
        run(["/usr/sbin/sessacct-api", "--config", conf, "--check-config"])

    def test_package_build_install_purge(self):
        work = ARGS.work or os.path.join(ARGS.source, "build-package")
        os.makedirs(work, exist_ok=True)
        # One run at a time: the copy, the build and dpkg are shared.
        lock = open(os.path.join(work, ".lock"), "w")
        self.addCleanup(lock.close)
        fcntl.flock(lock, fcntl.LOCK_EX)
        t0 = time.monotonic()
        deb = self.build(work)
        self.check_fields(deb)
        self.lintian(deb)
        if installed("sessacct"):
            self.log("an installed sessacct package is purged first")
            run_dpkg(["dpkg", "--purge", "sessacct"])
        t1 = time.monotonic()
        r = run_dpkg(["dpkg", "-i", deb])
        if r.returncode != 0:
            r = run_dpkg(["apt-get", "install", "-f", "-y",
                          "--no-install-recommends"],
                         env=dict(os.environ,
                                  DEBIAN_FRONTEND="noninteractive"))
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertTrue(installed("sessacct"))
        listed = [l for l in run(["dpkg-query", "-L", "sessacct"])
                  .stdout.splitlines() if l.strip()]
        try:
            self.check_installed(work)
            self.check_remove_keeps_config(deb)
        finally:
            r = run_dpkg(["dpkg", "--purge", "sessacct"])
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertFalse(installed("sessacct"))
        left = [p for p in listed
                if os.path.lexists(p) and not os.path.isdir(p)]
        left += [d for d in listed if os.path.isdir(d) and "sessacct" in d]
        for p in ("/etc/sessacct", "/var/lib/sessacct"):
            if os.path.lexists(p):
                left.append(p)
        left += glob.glob("/etc/systemd/system/*/sessacct*")
        self.assertEqual(left, [], "left behind after dpkg --purge")
        self.log("installed, checked and purged in %.0f s; %.0f s in all; "
                 "users sessacct and sessacct-capture stay" % (
                     time.monotonic() - t1, time.monotonic() - t0))


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--capture", required=True)
    ap.add_argument("--aggregator", required=True)
    ap.add_argument("--api", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--pcaps")
    ap.add_argument("--work", default=os.environ.get("SA_PACKAGE_DIR"))
    ARGS, rest = ap.parse_known_args()
    unittest.main(argv=[sys.argv[0], "-v"] + rest)


if __name__ == "__main__":
    main()
