#!/usr/bin/env python3
"""Hostile tests of authentication, settings and recordings against the real binary (issue 18,
issue 25 item 4): `opdesk serve --demo` on a random loopback port, a fresh data dir, umask 022.

Covers: a third party's wrong passwords (from 127.0.0.2) do not lock the admin out of a clean
address (127.0.0.1), and the lock survives a restart; weak passwords are 400 over REST and
refused by `opdesk user add/passwd`; CRM values refused by PUT /api/settings/crm are refused by
PUT /api/settings too (metadata URL, CR/LF header, CA file /etc/shadow); a forged recording
signature writes no audit row; a deleted or disabled user's signed recording URL stops working;
?token=JWT works for /api/recordings (also the upstream absolute-path form) and nowhere else, and
the token never reaches the log; a fresh data dir is 0700 and the database files 0600.
Run: auth_hostile_test.py /path/to/opdesk
"""
import http.client, json, os, re, stat, subprocess, sys, tempfile, time, unittest, urllib.parse

BIN = os.environ.get("OPDESK_BIN") or (sys.argv[1] if len(sys.argv) > 1 else "build/opdesk")
ADMIN_PW = "hostile-admin-pass-1"
CLEAN, ATTACKER = "127.0.0.1", "127.0.0.2"  # Linux answers the whole 127/8 on loopback


class Server:
    """The real binary; its output goes to a file (never a pipe that could fill up)."""

    def __init__(self, data_dir, log, log_level="debug"):
        self.data_dir = data_dir
        self.log = log
        start = os.path.getsize(log) if os.path.exists(log) else 0  # a restart appends to the same log
        env = dict(os.environ, OPDESK_ADMIN_PASSWORD=ADMIN_PW)
        with open(self.log, "a") as out:
            self.proc = subprocess.Popen(
                [BIN, "serve", "--demo", "--listen", "127.0.0.1:0", "--data-dir", data_dir, "--sim-speed", "20",
                 "--sim-seed", "11", "--log-level", log_level],
                stdout=out, stderr=subprocess.STDOUT, env=env, preexec_fn=lambda: os.umask(0o022))
        self.port = None
        deadline = time.time() + 60
        while time.time() < deadline and self.proc.poll() is None and not self.port:
            m = re.findall(r"listening on http://[\d.]+:(\d+)", self.output()[start:])
            self.port = int(m[-1]) if m else None
            time.sleep(0.1)
        if not self.port:
            self.stop()
            raise RuntimeError("server did not start:\n" + self.output())

    def output(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def req(self, method, path, body=None, token=None, source=CLEAN):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30, source_address=(source, 0))
        h = {"Authorization": "Bearer " + token} if token else {}
        data = json.dumps(body) if body is not None else None
        if data is not None:
            h["Content-Type"] = "application/json"
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        raw = r.read()
        c.close()
        try:
            js = json.loads(raw) if raw and r.getheader("Content-Type", "").startswith("application/json") else None
        except ValueError:
            js = None
        return r.status, js, raw

    def login(self, user, pw, source=CLEAN):
        st, js, _ = self.req("POST", "/api/auth/login", {"login": user, "password": pw}, source=source)
        return st, (js or {}).get("access_token")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def field(js):
    return ((js or {}).get("error") or {}).get("field")


class HostileAuth(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="opdesk-hostile-")
        cls.data = os.path.join(cls.tmp, "fresh", "data")  # does not exist yet: the server creates it
        cls.s = Server(cls.data, os.path.join(cls.tmp, "server.log"))
        st, cls.admin = cls.s.login("admin", ADMIN_PW)
        assert st == 200, st

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def audit(self, action):
        st, js, _ = self.s.req("GET", "/api/audit?limit=500&action=" + action, token=self.admin)
        self.assertEqual(st, 200)
        return js["items"]

    def make_user(self, name, role="admin", pw="Sturdy-pass-2026"):
        st, js, _ = self.s.req("POST", "/api/settings/users", {"username": name, "password": pw, "role": role},
                               self.admin)
        self.assertEqual(st, 201, js)
        return js["id"], self.s.login(name, pw)[1]

    def recorded_call(self, token):
        deadline = time.time() + 120
        while time.time() < deadline:
            st, js, _ = self.s.req("GET", "/api/calls/history?has_recording=true&outcome=answered&limit=20",
                                   token=token)
            self.assertEqual(st, 200, js)
            for item in js["items"]:
                rec = item.get("recording") or {}
                path = self.find_file(rec.get("file") or "")
                if rec.get("url") and path and os.path.getsize(path) > 0:
                    return rec, path
            time.sleep(1)
        self.fail("no recorded call in the call log")

    def find_file(self, name):
        for root, _, files in os.walk(os.path.join(self.data, "recordings")):
            if name and name in files:
                return os.path.join(root, name)
        return None

    # --- item 8: lockout as a weapon -------------------------------------------------------
    def test_a_third_partys_failures_do_not_lock_the_admin_out_of_a_clean_address(self):
        codes = [self.s.login("admin", "guess-%d-xyz" % i, source=ATTACKER)[0] for i in range(12)]
        self.assertEqual(codes[:10], [401] * 10)
        self.assertEqual(codes[10:], [429, 429])
        self.assertEqual(self.s.login("Admin", ADMIN_PW, source=ATTACKER)[0], 429)  # the attacker's address
        st, tok = self.s.login("admin", ADMIN_PW, source=CLEAN)  # the owner's address never failed
        self.assertEqual(st, 200)
        self.assertTrue(tok)

    def test_the_lock_survives_a_restart(self):
        d = os.path.join(self.tmp, "restart")
        s = Server(d, d + ".log", log_level="warn")
        try:
            for i in range(10):
                self.assertEqual(s.login("admin", "wrong-%d-abc" % i, source=ATTACKER)[0], 401)
            self.assertEqual(s.login("admin", ADMIN_PW, source=ATTACKER)[0], 429)
        finally:
            s.stop()
        s = Server(d, d + ".log", log_level="warn")
        try:
            self.assertEqual(s.login("admin", ADMIN_PW, source=ATTACKER)[0], 429)
            self.assertEqual(s.login("admin", ADMIN_PW, source=CLEAN)[0], 200)
        finally:
            s.stop()

    # --- password policy --------------------------------------------------------------------
    def test_weak_passwords_are_400_naming_the_field(self):
        for name, pw in [("weak1", "password"), ("weak2", "12345678"), ("weak3", " " * 8), ("weak4", "password123"),
                         ("weak5", "Qwertyuiop"), ("weak6", " " * 12), ("sameasname", "sameasname"),
                         ("weak7", "short-1")]:
            st, js, _ = self.s.req("POST", "/api/settings/users", {"username": name, "password": pw}, self.admin)
            self.assertEqual((st, field(js)), (400, "password"), (name, pw, js))
        uid, _ = self.make_user("pwchange", role="agent")
        for pw in ["password123", "pwchange", "1234567890"]:
            st, js, _ = self.s.req("PUT", "/api/settings/users/%d" % uid, {"password": pw}, self.admin)
            self.assertEqual((st, field(js)), (400, "password"), (pw, js))
        st, _, _ = self.s.req("PUT", "/api/settings/users/%d" % uid, {"password": "Another-fine-pass-9"}, self.admin)
        self.assertEqual(st, 200)

    def test_the_cli_applies_the_same_policy(self):
        d = os.path.join(self.tmp, "cli")

        def run(*args, pw):
            env = dict(os.environ, OPDESK_PASSWORD=pw, ASAN_OPTIONS="detect_leaks=0")
            return subprocess.run([BIN, "user", *args, "--data-dir", d], env=env, capture_output=True, text=True,
                                  timeout=120, stdin=subprocess.DEVNULL)

        r = run("add", "clerk", pw="password123")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("too common", r.stdout + r.stderr)
        self.assertNotEqual(run("add", "clerk", pw="clerk2026").returncode, 0)  # too short
        self.assertNotEqual(run("add", "clerkclerk", pw="clerkclerk").returncode, 0)  # the username
        r = run("add", "clerk", pw="Clerk-strong-pass-1")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = run("passwd", "clerk", pw="qwertyuiop")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("password", r.stdout + r.stderr)

    # --- one settings validator -------------------------------------------------------------
    def test_crm_values_are_validated_the_same_on_both_settings_paths(self):
        cases = [("CRM_SERVER_URL", "server_url", "http://169.254.169.254/latest/meta-data"),
                 ("CRM_SERVER_URL", "server_url", "http://[64:ff9b::a9fe:a9fe]/"),
                 ("CRM_API_KEY_HEADER", "api_key_header", "X-Key\r\nX-Evil: 1"),
                 ("CRM_CA_FILE", "ca_file", "/etc/shadow"),
                 ("CRM_OAUTH2_TOKEN_URL", "oauth2_token_url", "http://metadata.google.internal/token")]
        for key, jkey, value in cases:
            body = {key: value}
            if key == "CRM_OAUTH2_TOKEN_URL":
                body.update({"CRM_ENABLED": "true", "CRM_AUTH_TYPE": "oauth2", "CRM_SERVER_URL": "https://crm.example.com",
                             "CRM_OAUTH2_CLIENT_ID": "id", "CRM_OAUTH2_CLIENT_SECRET": "s"})
            st, js, _ = self.s.req("PUT", "/api/settings", body, self.admin)
            self.assertEqual((st, field(js)), (400, key), (key, value, js))
            jbody = {jkey: value}
            if key == "CRM_OAUTH2_TOKEN_URL":
                jbody.update({"enabled": True, "auth_type": "oauth2", "server_url": "https://crm.example.com",
                              "oauth2_client_id": "id", "oauth2_client_secret": "s"})
            st, js, _ = self.s.req("PUT", "/api/settings/crm", jbody, self.admin)
            self.assertEqual((st, field(js)), (400, jkey), (jkey, value, js))
        st, js, _ = self.s.req("GET", "/api/settings", token=self.admin)
        stored = js["settings"]
        self.assertNotIn("169.254", stored.get("CRM_SERVER_URL", ""))
        self.assertNotEqual(stored.get("CRM_CA_FILE"), "/etc/shadow")
        self.assertNotIn("\n", stored.get("CRM_API_KEY_HEADER", ""))
        st, js, _ = self.s.req("PUT", "/api/settings", {"CRM_TIMEOUT": "20", "PANEL_TITLE": "Hostile"}, self.admin)
        self.assertEqual(st, 200, js)  # a valid CRM write still goes through

    # --- recordings -------------------------------------------------------------------------
    def test_a_forged_signature_writes_no_audit_row(self):
        before = len(self.audit("recording.play"))
        exp = int(time.time()) + 300
        for uid in (1, 2, 0):
            st, _, _ = self.s.req("GET", "/api/recordings/x.wav?sig=00&exp=%d&uid=%d" % (exp, uid))
            self.assertEqual(st, 403)
        st, _, _ = self.s.req("GET", "/api/recordings/x.wav?sig=%s&exp=1&uid=1" % ("a" * 64))
        self.assertEqual(st, 403)
        after = self.audit("recording.play")
        self.assertEqual(len(after), before, after[:3])

    def test_a_signed_url_dies_with_its_user(self):
        for how in ("delete", "disable"):
            uid, tok = self.make_user("rec-" + how)
            rec, _ = self.recorded_call(tok)
            st, _, _ = self.s.req("GET", rec["url"])
            self.assertIn(st, (200, 206))
            if how == "delete":
                st, _, _ = self.s.req("DELETE", "/api/settings/users/%d" % uid, token=self.admin)
                self.assertEqual(st, 204)
            else:
                st, _, _ = self.s.req("PUT", "/api/settings/users/%d" % uid, {"active": False}, self.admin)
                self.assertEqual(st, 200)
            st, js, _ = self.s.req("GET", rec["url"])
            self.assertIn(st, (401, 403), (how, js))

    def test_a_query_token_works_for_recordings_only_and_is_never_logged(self):
        st, tok = self.s.login("admin", ADMIN_PW)
        rec, path = self.recorded_call(tok)
        q = "?token=" + urllib.parse.quote(tok)
        st, _, body = self.s.req("GET", "/api/recordings/" + urllib.parse.quote(rec["file"]) + q)
        self.assertIn(st, (200, 206))
        self.assertEqual(body[:4], b"RIFF")
        # The upstream client's form: the URL-encoded absolute path under the recordings root.
        st, _, body = self.s.req("GET", "/api/recordings/" + urllib.parse.quote(path, safe="") + q)
        self.assertIn(st, (200, 206))
        self.assertEqual(body[:4], b"RIFF")
        for outside in ["/etc/passwd", os.path.join(self.data, "opdesk.db"),
                        os.path.join(self.data, "recordings", "..", "opdesk.db")]:
            st, _, _ = self.s.req("GET", "/api/recordings/" + urllib.parse.quote(outside, safe="") + q)
            self.assertEqual(st, 403, outside)
        st, _, _ = self.s.req("GET", "/api/recordings/" + urllib.parse.quote(rec["file"]) + "?token=garbage")
        self.assertEqual(st, 401)
        for route in ["/api/auth/me", "/api/calls/history", "/api/settings", "/api/audit", "/api/state"]:
            st, _, _ = self.s.req("GET", route + q)
            self.assertEqual(st, 401, route)
        time.sleep(0.5)
        self.assertNotIn(tok, self.s.output())
        self.assertNotIn(tok.split(".")[2], self.s.output())  # not even the signature part

    # --- file modes -------------------------------------------------------------------------
    def test_a_fresh_data_dir_is_0700_and_the_database_files_0600(self):
        mode = lambda p: stat.S_IMODE(os.stat(p).st_mode)
        self.assertEqual(mode(self.data), 0o700)
        self.assertEqual(mode(os.path.dirname(self.data)), 0o700)
        db = os.path.join(self.data, "opdesk.db")
        self.assertEqual(mode(db), 0o600)
        for suffix in ("-wal", "-shm"):
            if os.path.exists(db + suffix):
                self.assertEqual(mode(db + suffix), 0o600, suffix)
        self.assertTrue(os.path.exists(db + "-wal"))


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
