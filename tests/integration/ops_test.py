"""Operations of the real binary (issue #12): /metrics parsed with a Prometheus text-format
parser and its counters moving under simulator load; GET /api/health/checks (admin only, the
same checks as `opdesk doctor`); `opdesk doctor` exit codes; SIGHUP re-reading the log level;
`opdesk backup` while the server runs and `opdesk restore` into another data directory.

Run: ops_test.py /path/to/opdesk (standard library only).
"""
import http.client, json, math, os, re, signal, subprocess, sys, tempfile, threading, time, unittest

BIN = os.environ.get("OPDESK_BIN") or (sys.argv[1] if len(sys.argv) > 1 else "build/opdesk")
ADMIN_PW = "admin-test-pass-1"

# --- Prometheus text exposition format 0.0.4 (strict enough to catch malformed output) ------
_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_SAMPLE = re.compile(r"^(" + _NAME + r")(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$")
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)')


def parse_prometheus(text):
    """Returns {family: {"type": t, "help": h, "samples": [(name, labels, value)]}}; raises on
    any line that is not valid exposition format or a sample of an undeclared family."""
    fams, types = {}, {}
    for n, line in enumerate(text.split("\n"), 1):
        if not line:
            continue
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            parts = line.split(" ", 3)
            if len(parts) < 4 or not re.fullmatch(_NAME, parts[2]):
                raise ValueError("line %d: bad comment %r" % (n, line))
            f = fams.setdefault(parts[2], {"type": None, "help": None, "samples": []})
            if parts[1] == "TYPE":
                if parts[3] not in ("counter", "gauge", "histogram", "summary", "untyped"):
                    raise ValueError("line %d: bad type %r" % (n, parts[3]))
                f["type"] = parts[3]
                types[parts[2]] = parts[3]
            else:
                f["help"] = parts[3]
            continue
        if line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        if not m:
            raise ValueError("line %d: bad sample %r" % (n, line))
        name, labels_text, value = m.group(1), m.group(3) or "", m.group(4)
        labels, pos = {}, 0
        while pos < len(labels_text):
            lm = _LABEL.match(labels_text, pos)
            if not lm:
                raise ValueError("line %d: bad labels %r" % (n, labels_text))
            labels[lm.group(1)] = lm.group(2)
            pos = lm.end()
        v = float(value)  # accepts NaN, +Inf
        family = name
        for suffix in ("_bucket", "_sum", "_count", "_total"):
            if name.endswith(suffix) and name[: -len(suffix)] in fams and name not in fams:
                family = name[: -len(suffix)]
        if family not in fams:
            raise ValueError("line %d: sample %s without # TYPE" % (n, name))
        fams[family]["samples"].append((name, labels, v))
    return fams


def value(fams, family, name=None, **labels):
    for n, l, v in fams[family]["samples"]:
        if n == (name or family) and all(l.get(k) == x for k, x in labels.items()):
            return v
    raise KeyError((family, name, labels))


class Server:
    def __init__(self, config_text, extra=()):
        self.dir = tempfile.mkdtemp(prefix="opdesk-ops-")
        self.config = os.path.join(self.dir, "opdesk.toml")
        with open(self.config, "w") as f:
            f.write(config_text)
        env = dict(os.environ, OPDESK_ADMIN_PASSWORD=ADMIN_PW)
        self.proc = subprocess.Popen([BIN, "serve", "--demo", "--config", self.config, "--listen", "127.0.0.1:0",
                                      "--data-dir", self.dir, "--sim-speed", "20", "--sim-seed", "3", *extra],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True)
        self.lines, self.port = [], None
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        if not self.wait_for(r"listening on http://[\d.]+:(\d+)", 60):
            self.stop()
            raise RuntimeError("server did not start:\n" + "".join(self.lines))

    def _read(self):
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append(line)
                m = re.search(r"listening on http://[\d.]+:(\d+)", line)
                if m:
                    self.port = int(m.group(1))
                self.cond.notify_all()

    def wait_for(self, pattern, timeout=30, start=0):
        deadline = time.time() + timeout
        with self.cond:
            while True:
                for line in self.lines[start:]:
                    if re.search(pattern, line):
                        return line
                left = deadline - time.time()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def req(self, method, path, token=None, body=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        h = {"Authorization": "Bearer " + token} if token else {}
        if body is not None:
            h["Content-Type"] = "application/json"
        c.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
        r = c.getresponse()
        text = r.read().decode()
        c.close()
        return r.status, text

    def login(self):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        c.request("POST", "/api/auth/login", body=json.dumps({"login": "admin", "password": ADMIN_PW}),
                  headers={"Content-Type": "application/json"})
        r = c.getresponse()
        js = json.loads(r.read())
        c.close()
        assert r.status == 200, js
        return js["access_token"]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def run(*args, timeout=60):
    p = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout + p.stderr


class Ops(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server('[log]\nlevel = "warn"\n')
        cls.token = cls.s.login()

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def scrape(self):
        st, text = self.s.req("GET", "/metrics")
        self.assertEqual(st, 200)
        return parse_prometheus(text)

    def test_metrics_parse_and_their_counters_move_under_simulator_load(self):
        deadline = time.time() + 30
        while time.time() < deadline and value(self.scrape(), "opdesk_ami_connected") != 1:
            time.sleep(0.2)
        # One action (refused by Asterisk: no such channel) so the action latency family exists.
        st, text = self.s.req("POST", "/api/actions/hangup", self.token, {"channel": "PJSIP/9999-00000001"})
        self.assertGreaterEqual(st, 400, text)
        first = self.scrape()
        self.assertEqual(value(first, "opdesk_ami_connected"), 1)
        for fam, typ in (("opdesk_ami_frames_total", "counter"), ("opdesk_ami_resyncs_total", "counter"),
                         ("opdesk_ws_bytes_total", "counter"), ("opdesk_ws_clients", "gauge"),
                         ("opdesk_ami_event_lag_seconds", "histogram"), ("opdesk_db_query_duration_seconds", "histogram"),
                         ("opdesk_http_request_duration_seconds", "histogram"), ("opdesk_action_duration_seconds", "histogram")):
            self.assertIn(fam, first)
            self.assertEqual(first[fam]["type"], typ, fam)
        self.assertGreaterEqual(value(first, "opdesk_ami_resyncs_total"), 1)
        self.assertGreaterEqual(value(first, "opdesk_db_query_duration_seconds", "opdesk_db_query_duration_seconds_count"), 1)
        frames0 = value(first, "opdesk_ami_frames_total")
        # The simulated office keeps calling (speed 20), but its calls come in bursts and a loaded
        # sanitizer run can stall it for a while: wait (bounded) for the next frames.
        deadline = time.time() + 30
        second = self.scrape()
        while time.time() < deadline and value(second, "opdesk_ami_frames_total") <= frames0:
            time.sleep(0.5)
            second = self.scrape()
        self.assertGreater(value(second, "opdesk_ami_frames_total"), frames0)
        # HTTP latency is labelled by route pattern; our own scrapes are in it.
        self.assertGreaterEqual(value(second, "opdesk_http_request_duration_seconds",
                                      "opdesk_http_request_duration_seconds_count", route="/metrics"), 1)
        self.assertGreaterEqual(value(second, "opdesk_action_duration_seconds", "opdesk_action_duration_seconds_count",
                                      action="hangup"), 1)
        inf = value(second, "opdesk_http_request_duration_seconds", "opdesk_http_request_duration_seconds_bucket",
                    route="/metrics", le="+Inf")
        self.assertTrue(math.isfinite(inf) and inf >= 1)

    def test_the_parser_rejects_malformed_exposition(self):
        with self.assertRaises(ValueError):
            parse_prometheus("# TYPE a counter\na{x=1} 2\n")
        with self.assertRaises(ValueError):
            parse_prometheus("undeclared 1\n")

    def test_health_checks_route_is_admin_only_and_runs_the_doctor_checks(self):
        st, _ = self.s.req("GET", "/api/health/checks")
        self.assertEqual(st, 401)
        st, text = self.s.req("GET", "/api/health/checks", self.token)
        self.assertEqual(st, 200, text)
        body = json.loads(text)
        by_id = {c["id"]: c for c in body["checks"]}
        for key in ("ami_reachable", "ami_login", "ami_permissions", "hints", "queues", "database_panel"):
            self.assertEqual(by_id[key]["status"], "ok", by_id[key])
        self.assertEqual(sum(body["summary"].values()), len(body["checks"]))
        for c in body["checks"]:
            if c["status"] != "ok":
                self.assertTrue(c["fix"], c)

    def test_sighup_rereads_the_log_level(self):
        # At warn, the health run's own AMI session logs nothing at info...
        mark = len(self.s.lines)
        self.assertEqual(self.s.req("GET", "/api/health/checks", self.token)[0], 200)
        self.assertIsNone(self.s.wait_for(r" info ami-doctor: logged in", 1, start=mark))
        with open(self.s.config, "w") as f:
            f.write('[log]\nlevel = "info"\n')
        self.s.proc.send_signal(signal.SIGHUP)
        self.assertTrue(self.s.wait_for(r"reload: log level info", 10, start=mark))
        # ...after the reload it does, and the server is still serving.
        mark = len(self.s.lines)
        self.assertEqual(self.s.req("GET", "/api/health/checks", self.token)[0], 200)
        self.assertTrue(self.s.wait_for(r" info ami-doctor: logged in", 10, start=mark))
        with open(self.s.config, "w") as f:
            f.write('[log]\nlevel = "shout"\n')  # invalid: logged, nothing changes
        self.s.proc.send_signal(signal.SIGHUP)
        self.assertTrue(self.s.wait_for(r"reload: .*configuration unchanged", 10, start=mark))
        self.assertEqual(self.s.req("GET", "/health")[0], 200)
        with open(self.s.config, "w") as f:
            f.write('[log]\nlevel = "warn"\n')
        self.s.proc.send_signal(signal.SIGHUP)
        self.assertTrue(self.s.wait_for(r"reload: log level warn", 10, start=mark))

    def test_backup_while_running_then_restore_elsewhere_gives_the_same_users(self):
        env_pw = dict(os.environ, OPDESK_PASSWORD="ops-user-pass-1")
        p = subprocess.run([BIN, "user", "add", "opsuser", "--role", "agent", "--extension", "1003",
                            "--data-dir", self.s.dir], env=env_pw, capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        out = os.path.join(self.s.dir, "backup.db")
        rc, text = run("backup", "--data-dir", self.s.dir, out)
        self.assertEqual(rc, 0, text)
        self.assertIn("backed up", text)
        other = tempfile.mkdtemp(prefix="opdesk-restore-")
        rc, text = run("restore", "--data-dir", other, out)
        self.assertEqual(rc, 0, text)
        rc1, live = run("user", "list", "--data-dir", self.s.dir)
        rc2, restored = run("user", "list", "--data-dir", other)
        self.assertEqual((rc1, rc2), (0, 0))
        self.assertIn("opsuser", restored)
        self.assertEqual(live, restored)
        rc, text = run("restore", "--data-dir", other, os.path.join(other, "missing.db"))
        self.assertEqual(rc, 1)
        self.assertIn("no backup at", text)


class Doctor(unittest.TestCase):
    def test_doctor_exits_1_with_a_fix_when_the_pbx_is_unreachable(self):
        d = tempfile.mkdtemp(prefix="opdesk-doctor-")
        env = dict(os.environ, OPDESK_AMI_PORT="1", OPDESK_RECORDINGS_ROOT=d)
        p = subprocess.run([BIN, "doctor", "--data-dir", d, "--observe-ms", "0", "--json"], env=env,
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        checks = {c["id"]: c for c in json.loads(p.stdout)["checks"]}
        self.assertEqual(checks["ami_reachable"]["status"], "fail")
        self.assertIn("manager.conf", checks["ami_reachable"]["fix"])
        self.assertEqual(checks["recordings"]["status"], "ok")


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
