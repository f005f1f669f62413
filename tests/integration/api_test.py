#!/usr/bin/env python3
"""End-to-end tests of the real server: `opdesk serve --demo` (built-in simulator, SQLite in a
temp dir, random port) driven over HTTP, HTTPS and WebSocket with the standard library only.

Covers: login/me, rate limit (429 + Retry-After), user CRUD and last-admin protection, the role
x endpoint matrix (admin, supervisor, agent, anonymous, expired/garbage token, disabled user),
JSON errors (400 naming the field, 404/405), TLS (--self-signed), the WebSocket protocol
(auth first, snapshot, ordered deltas, scope filtering checked on the bytes received, resume),
actions (listen reaches Asterisk as a ChanSpy originate on the exact channel; refusals by mode,
scope and bad input) and the audit log. Run: api_test.py /path/to/opdesk
"""
import base64, http.client, json, os, re, socket, ssl, struct, subprocess, sys, tempfile, time, unittest

BIN = os.environ.get("OPDESK_BIN") or (sys.argv[1] if len(sys.argv) > 1 else "build/opdesk")
ADMIN_PW = "admin-test-pass-1"


class Server:
    def __init__(self, *extra, env=None):
        self.dir = tempfile.mkdtemp(prefix="opdesk-api-")
        e = dict(os.environ, OPDESK_ADMIN_PASSWORD=ADMIN_PW)
        e.update(env or {})
        self.proc = subprocess.Popen([BIN, "serve", "--demo", "--listen", "127.0.0.1:0", "--data-dir", self.dir,
                                      "--sim-speed", "20", "--sim-seed", "7", *extra],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=e, text=True)
        deadline = time.time() + 60
        self.port, self.scheme = None, "http"
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            m = re.search(r"listening on (https?)://[\d.]+:(\d+)", line)
            if m:
                self.scheme, self.port = m.group(1), int(m.group(2))
                break
        if not self.port:
            self.stop()
            raise RuntimeError("server did not start")

    def conn(self):
        if self.scheme == "https":
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            return http.client.HTTPSConnection("127.0.0.1", self.port, context=ctx, timeout=30)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def req(self, method, path, body=None, token=None, headers=None, raw=None):
        c = self.conn()
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        if data is not None:
            h.setdefault("Content-Type", "application/json")
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        text = r.read().decode("utf-8", "replace")
        c.close()
        try:
            js = json.loads(text) if text else None
        except ValueError:
            js = None
        return r.status, js, dict((k.lower(), v) for k, v in r.getheaders()), text

    def login(self, user, pw):
        st, js, _, _ = self.req("POST", "/api/auth/login", {"login": user, "password": pw})
        assert st == 200, (st, js)
        return js["access_token"]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class WS:
    """Minimal RFC 6455 client (text frames, client masking)."""

    def __init__(self, port, path="/ws", origin=None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        hdr = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" \
              f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        if origin:
            hdr += f"Origin: {origin}\r\n"
        self.sock.sendall((hdr + "\r\n").encode())
        resp = b""
        while b"\r\n\r\n" not in resp:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            resp += chunk
        head, _, self.buf = resp.partition(b"\r\n\r\n")
        self.status = int(head.split(b" ")[1]) if head else 0
        self.bytes_received = len(self.buf)
        self.close_code = None

    def send(self, obj):
        data = json.dumps(obj).encode()
        mask = os.urandom(4)
        n = len(data)
        hdr = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack("!H", n))
        self.sock.sendall(hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _need(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("socket closed")
            self.bytes_received += len(chunk)
            self.buf += chunk

    def recv(self, timeout=30):
        op, payload = self._frame(timeout)
        while op == 0 or (op in (1, 2) and not self._fin):
            parts = [payload]
            while True:
                op2, more = self._frame(timeout)
                parts.append(more)
                if self._fin:
                    break
            payload = b"".join(parts)
            break
        if op == 8:
            self.close_code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
            raise EOFError(f"closed {self.close_code} {payload[2:].decode(errors='replace')}")
        if op in (9, 10):
            return self.recv(timeout)
        return json.loads(payload.decode())

    def _frame(self, timeout):
        self.sock.settimeout(timeout)
        self._need(2)
        b0, b1 = self.buf[0], self.buf[1]
        n, off = b1 & 0x7F, 2
        if n == 126:
            self._need(4); n = struct.unpack("!H", self.buf[2:4])[0]; off = 4
        elif n == 127:
            self._need(10); n = struct.unpack("!Q", self.buf[2:10])[0]; off = 10
        self._need(off + n)
        payload, self.buf = self.buf[off:off + n], self.buf[off + n:]
        self._fin = bool(b0 & 0x80)
        return b0 & 0x0F, payload

    def until(self, pred, timeout=30):
        end = time.time() + timeout
        while time.time() < end:
            m = self.recv(max(0.1, end - time.time()))
            if pred(m):
                return m
        raise TimeoutError("condition not met")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def apply(state, msg):
    """Applies a snapshot/delta to a client-side state, like the web client does."""
    if msg["type"] == "snapshot":
        s = msg["state"]
        return {"seq": msg["seq"], "extensions": {e["extension"]: e for e in s["extensions"]},
                "calls": {c["id"]: c for c in s["calls"]}, "queues": {q["name"]: q for q in s["queues"]}}
    if msg["type"] == "delta":
        assert msg["prev_seq"] <= state["seq"], f"gap: prev {msg['prev_seq']} > have {state['seq']}"
        for ch in msg["changes"]:
            table = {"extension": "extensions", "call": "calls", "queue": "queues"}.get(ch["kind"])
            if not table:
                continue
            if ch["op"] == "upsert":
                state[table][ch["id"]] = ch["data"]
            else:
                state[table].pop(ch["id"], None)
        state["seq"] = msg["seq"]
    return state


class ApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server()
        cls.admin = cls.s.login("admin", ADMIN_PW)
        # Users for the matrix: a supervisor over 1001-1003 and support, an agent on 1004.
        st, sup, _, _ = cls.s.req("POST", "/api/settings/users", {
            "username": "sup", "password": "supervisor-pw-1", "role": "supervisor", "extension": "1010",
            "allowed_extensions": ["1001", "1002", "1003"], "allowed_queues": ["support"],
            "monitor_modes": ["listen"]}, cls.admin)
        assert st == 201, sup
        cls.sup_id = sup["id"]
        st, ag, _, _ = cls.s.req("POST", "/api/settings/users", {
            "username": "agent4", "password": "agent-pw-12345", "role": "agent", "extension": "1004"}, cls.admin)
        assert st == 201, ag
        cls.agent_id = ag["id"]
        cls.sup = cls.s.login("sup", "supervisor-pw-1")
        cls.agent = cls.s.login("1004", "agent-pw-12345")  # login by extension

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def test_health_is_public_and_reports_ami(self):
        st, js, h, _ = self.s.req("GET", "/health")
        self.assertEqual(st, 200)
        self.assertIn("ami_connected", js)
        self.assertTrue(re.fullmatch(r"[A-Za-z0-9._-]{8,64}", h["x-request-id"]))

    def test_me_returns_role_scope_and_modes(self):
        st, me, _, _ = self.s.req("GET", "/api/auth/me", token=self.sup)
        self.assertEqual(st, 200)
        self.assertEqual(me["role"], "supervisor")
        self.assertEqual(sorted(me["monitor_modes"]), ["listen"])
        self.assertIn("1002", me["allowed_agent_extensions"])
        st, me, _, _ = self.s.req("GET", "/api/auth/me", token=self.admin)
        self.assertIsNone(me["allowed_agent_extensions"])

    def test_wrong_password_is_401_and_never_names_the_cause(self):
        a = self.s.req("POST", "/api/auth/login", {"login": "admin", "password": "nope-nope"})
        b = self.s.req("POST", "/api/auth/login", {"login": "no-such-user", "password": "nope-nope"})
        self.assertEqual((a[0], b[0]), (401, 401))
        self.assertEqual(a[1]["error"]["code"], b[1]["error"]["code"])

    def test_bad_input_gets_400_naming_the_field(self):
        st, js, _, _ = self.s.req("POST", "/api/settings/users", {"username": "x y", "password": "longenough1"}, self.admin)
        self.assertEqual((st, js["error"]["field"]), (400, "username"))
        st, js, _, _ = self.s.req("POST", "/api/settings/users", {"username": "shortpw", "password": "123"}, self.admin)
        self.assertEqual((st, js["error"]["field"]), (400, "password"))
        st, js, _, _ = self.s.req("POST", "/api/auth/login", raw="{not json")
        self.assertEqual((st, js["error"]["code"]), (400, "request.body.invalid_json"))

    def test_unknown_api_is_json_404_and_wrong_method_405_with_allow(self):
        st, js, _, _ = self.s.req("GET", "/api/nope", token=self.admin)
        self.assertEqual((st, js["error"]["code"]), (404, "request.route.not_found"))
        st, js, h, _ = self.s.req("DELETE", "/api/auth/login")
        self.assertEqual(st, 405)
        self.assertIn("POST", h["allow"])

    def test_role_by_endpoint_matrix(self):
        anon, garbage = None, "eyJhbGciOiJIUzI1NiJ9.e30.bad"
        cases = [  # (path, admin, supervisor, agent, anonymous, garbage token)
            ("/api/settings/users", 200, 403, 403, 401, 401),
            ("/api/settings", 200, 403, 403, 401, 401),
            ("/api/audit", 200, 403, 403, 401, 401),
            ("/api/settings/api-keys", 200, 403, 403, 401, 401),
            ("/api/state", 200, 200, 200, 401, 401),
            ("/api/status", 200, 200, 200, 401, 401),
            ("/api/auth/me", 200, 200, 200, 401, 401),
        ]
        for path, *want in cases:
            got = [self.s.req("GET", path, token=t)[0] for t in (self.admin, self.sup, self.agent, anon, garbage)]
            self.assertEqual(got, want, path)

    def test_disabled_user_token_stops_working_at_once(self):
        st, u, _, _ = self.s.req("POST", "/api/settings/users", {"username": "temp", "password": "temp-pass-123", "role": "agent"}, self.admin)
        tok = self.s.login("temp", "temp-pass-123")
        self.assertEqual(self.s.req("GET", "/api/auth/me", token=tok)[0], 200)
        st, _, _, _ = self.s.req("PUT", f"/api/settings/users/{u['id']}", {"active": False}, self.admin)
        self.assertEqual(st, 200)
        st, js, _, _ = self.s.req("GET", "/api/auth/me", token=tok)
        self.assertEqual(st, 401)
        self.assertEqual(self.s.req("DELETE", f"/api/settings/users/{u['id']}", token=self.admin)[0], 204)
        self.assertEqual(self.s.req("GET", f"/api/settings/users/{u['id']}", token=self.admin)[0], 404)

    def test_last_admin_cannot_be_demoted(self):
        st, js, _, _ = self.s.req("PUT", "/api/settings/users/1", {"role": "agent"}, self.admin)
        self.assertEqual(st, 409, js)

    def test_duplicate_username_is_409(self):
        st, js, _, _ = self.s.req("POST", "/api/settings/users", {"username": "sup", "password": "another-pass1"}, self.admin)
        self.assertEqual(st, 409)

    def test_secrets_are_write_only_and_changes_audited(self):
        st, js, _, _ = self.s.req("PUT", "/api/settings", {"CRM_API_KEY": "super-secret-value", "PANEL_TITLE": "Front desk"}, self.admin)
        self.assertEqual(st, 200, js)
        st, js, _, text = self.s.req("GET", "/api/settings", token=self.admin)
        self.assertEqual(js["settings"]["CRM_API_KEY"], "***")
        self.assertNotIn("super-secret-value", text)
        self.assertNotIn("JWT_SECRET", js["settings"])
        st, js, _, _ = self.s.req("PUT", "/api/settings", {"JWT_SECRET": "x" * 40}, self.admin)
        self.assertEqual((st, js["error"]["field"]), (400, "JWT_SECRET"))
        st, audit, _, _ = self.s.req("GET", "/api/audit?action=settings.update", token=self.admin)
        self.assertTrue(any(i["user"] == "admin" for i in audit["items"]))

    def test_api_key_is_shown_once_and_scoped(self):
        st, k, _, _ = self.s.req("POST", "/api/settings/api-keys", {"name": "crm", "scopes": ["calls:read"]}, self.admin)
        self.assertEqual(st, 201)
        key = k["key"]
        self.assertTrue(key.startswith("opd_"))
        st, lst, _, text = self.s.req("GET", "/api/settings/api-keys", token=self.admin)
        self.assertNotIn(key, text)
        self.assertEqual(self.s.req("GET", "/api/state", headers={"X-API-Key": key})[0], 200)
        st, js, _, _ = self.s.req("POST", "/api/actions/hangup", {"target": "1001"}, headers={"X-API-Key": key})
        self.assertEqual(st, 403)
        self.assertEqual(self.s.req("GET", "/api/settings/users", headers={"X-API-Key": key})[0], 403)

    def test_openapi_documents_every_route(self):
        st, doc, _, _ = self.s.req("GET", "/api/openapi.json")
        self.assertEqual(doc["openapi"], "3.1.0")
        for p in ("/api/auth/login", "/api/settings/users/{id}", "/api/state", "/api/actions/{action}"):
            self.assertIn(p, doc["paths"])

    def test_websocket_requires_auth_and_rejects_bad_tokens_with_4001(self):
        ws = WS(self.s.port)
        self.assertEqual(ws.status, 101)
        ws.send({"type": "auth", "token": "garbage"})
        with self.assertRaises(EOFError):
            ws.until(lambda m: False, 10)
        self.assertEqual(ws.close_code, 4001)
        ws = WS(self.s.port, origin="http://evil.example")
        self.assertEqual(ws.status, 403)

    def test_websocket_snapshot_then_ordered_deltas_match_rest_state(self):
        ws = WS(self.s.port)
        ws.send({"type": "auth", "token": self.admin})
        self.assertEqual(ws.recv()["type"], "auth_ok")
        state = apply(None, ws.recv())
        self.assertGreaterEqual(len(state["extensions"]), 20)
        t0 = time.time()
        while time.time() - t0 < 8:
            state = apply(state, ws.recv())
        rest = self.s.req("GET", "/api/state", token=self.admin)[1]
        # Drain what the server sent up to the REST snapshot's seq, then compare.
        while state["seq"] < rest["seq"]:
            state = apply(state, ws.recv())
        self.assertEqual(set(state["extensions"]), {e["extension"] for e in rest["extensions"]})
        ws.close()

    def test_supervisor_never_receives_out_of_scope_extensions(self):
        ws = WS(self.s.port)
        ws.send({"token": self.sup})  # the upstream first-message form
        self.assertEqual(ws.recv()["type"], "auth_ok")
        snap = ws.recv()
        seen = {e["extension"] for e in snap["state"]["extensions"]}
        self.assertTrue(seen <= {"1001", "1002", "1003", "1010"}, seen)
        raw = json.dumps(snap)
        t0 = time.time()
        while time.time() - t0 < 8:
            m = ws.recv()
            raw += json.dumps(m)
            for ch in m.get("changes", []):
                if ch["kind"] == "extension":
                    self.assertIn(ch["id"], {"1001", "1002", "1003", "1010"})
                if ch["kind"] == "call" and ch["op"] == "upsert":
                    exts = {p.get("extension") for p in ch["data"]["parties"]}
                    self.assertTrue(exts & {"1001", "1002", "1003", "1010"} or ch["data"].get("queue") == "support", ch)
        for other in ("\"extension\": \"1005\"", "\"extension\": \"1006\""):
            self.assertNotIn(other, raw.replace('":"', '": "'))
        ws.close()

    def test_resume_replays_missed_deltas_or_sends_a_snapshot(self):
        ws = WS(self.s.port)
        ws.send({"type": "auth", "token": self.admin})
        ws.recv()
        snap = ws.recv()
        epoch, seq = snap["epoch"], snap["seq"]
        ws.close()
        time.sleep(3)
        ws = WS(self.s.port)
        ws.send({"type": "auth", "token": self.admin, "resume": {"epoch": epoch, "seq": seq}})
        self.assertEqual(ws.recv()["type"], "auth_ok")
        m = ws.recv()
        self.assertIn(m["type"], ("delta", "resumed"))
        if m["type"] == "delta":
            self.assertLessEqual(m["prev_seq"], seq)
        ws.close()
        ws = WS(self.s.port)
        ws.send({"type": "auth", "token": self.admin, "resume": {"epoch": epoch + 99, "seq": 1}})
        ws.recv()
        self.assertEqual(ws.recv()["type"], "snapshot")
        ws.close()

    def wait_for_call(self, exts, timeout=90):
        end = time.time() + timeout
        while time.time() < end:
            st = self.s.req("GET", "/api/state", token=self.admin)[1]
            for c in st["calls"]:
                if c["state"] == "up":
                    for p in c["parties"]:
                        if p.get("extension") in exts:
                            return c, p
            time.sleep(0.5)
        self.fail("no answered call appeared in the simulated office")

    def test_listen_sends_chanspy_on_the_exact_channel_and_shows_the_spy(self):
        call, party = self.wait_for_call({"1001", "1002", "1003"})
        st, js, _, _ = self.s.req("POST", "/api/actions/listen", {"target": party["extension"]}, self.sup)
        if st == 409:  # the call ended between the two requests
            call, party = self.wait_for_call({"1001", "1002", "1003"})
            st, js, _, _ = self.s.req("POST", "/api/actions/listen", {"target": party["extension"]}, self.sup)
        self.assertEqual(st, 200, js)
        self.assertEqual(js["data"]["spied_channel"], party["channel"])
        self.assertRegex(party["channel"], r"^PJSIP/\d+-[0-9a-f]{8}$")

    def test_monitor_mode_scope_and_injection_are_refused_on_the_server(self):
        st, js, _, _ = self.s.req("POST", "/api/actions/barge", {"target": "1001"}, self.sup)
        self.assertEqual((st, js["error"]["code"]), (403, "access.monitor_mode.forbidden"))
        st, js, _, _ = self.s.req("POST", "/api/actions/listen", {"target": "1005"}, self.sup)
        self.assertEqual((st, js["error"]["code"]), (403, "access.scope.forbidden"))
        st, js, _, _ = self.s.req("POST", "/api/actions/listen", {"target": "1001"}, self.agent)
        self.assertEqual(st, 403)
        st, js, _, _ = self.s.req("POST", "/api/actions/transfer", {"target": "1001", "destination": "1002\r\nAction: Command"}, self.admin)
        self.assertEqual(st, 400)
        st, js, _, _ = self.s.req("POST", "/api/actions/dnd", {"extension": "1005", "enabled": True}, self.agent)
        self.assertEqual(st, 403)
        st, js, _, _ = self.s.req("POST", "/api/actions/nonsense", {}, self.admin)
        self.assertEqual((st, js["error"]["code"]), (400, "request.action.unknown"))
        st, audit, _, _ = self.s.req("GET", "/api/audit?action=action.barge", token=self.admin)
        self.assertTrue(any(i["result"] == "denied" for i in audit["items"]))

    def test_dnd_action_updates_live_state(self):
        st, js, _, _ = self.s.req("POST", "/api/extensions/1004/dnd", {"enabled": True}, self.agent)
        self.assertEqual(st, 200, js)
        ext = [e for e in self.s.req("GET", "/api/state", token=self.agent)[1]["extensions"] if e["extension"] == "1004"][0]
        self.assertTrue(ext["dnd"])
        self.s.req("POST", "/api/extensions/1004/dnd", {"enabled": False}, self.agent)


class RateLimitTest(unittest.TestCase):
    """Its own server: the limit counts per client IP, and every test connects from 127.0.0.1."""

    def test_login_rate_limit_answers_429_with_retry_after(self):
        s = Server()
        try:
            for _ in range(10):
                st, _, _, _ = s.req("POST", "/api/auth/login", {"login": "ratelimited", "password": "wrong-pass"},
                                         headers={"X-Forwarded-For": "1.2.3.4"})
            st, js, h, _ = s.req("POST", "/api/auth/login", {"login": "ratelimited", "password": "wrong-pass"})
            self.assertEqual(st, 429)
            self.assertEqual(js["error"]["code"], "auth.rate_limited")
            self.assertGreater(int(h["retry-after"]), 0)

        finally:
            s.stop()


class TlsTest(unittest.TestCase):
    def test_self_signed_https_serves_the_api_with_tls12_or_newer(self):
        s = Server("--self-signed")
        try:
            self.assertEqual(s.scheme, "https")
            st, js, _, _ = s.req("GET", "/health")
            self.assertEqual(st, 200)
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            with socket.create_connection(("127.0.0.1", s.port)) as raw:
                with ctx.wrap_socket(raw) as tls:
                    self.assertIn(tls.version(), ("TLSv1.2", "TLSv1.3"))
        finally:
            s.stop()


class ConfigTest(unittest.TestCase):
    def test_invalid_config_exits_with_one_line_naming_the_key(self):
        with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
            f.write('[ami]\nport = "abc"\n')
        r = subprocess.run([BIN, "serve", "--config", f.name], capture_output=True, text=True, timeout=30)
        self.assertNotEqual(r.returncode, 0)
        err = r.stderr.strip().splitlines()
        self.assertEqual(len(err), 1, r.stderr)
        self.assertIn("ami.port", err[0])
        self.assertIn("abc", err[0])


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
