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
    def __init__(self, *extra, env=None, speed="20", seed="7"):
        self.dir = tempfile.mkdtemp(prefix="opdesk-api-")
        e = dict(os.environ, OPDESK_ADMIN_PASSWORD=ADMIN_PW)
        e.update(env or {})
        self.proc = subprocess.Popen([BIN, "serve", "--demo", "--listen", "127.0.0.1:0", "--data-dir", self.dir,
                                      "--sim-speed", speed, "--sim-seed", seed, *extra],
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
        self.send_text(json.dumps(obj).encode())

    def send_text(self, data):
        mask = os.urandom(4)
        n = len(data)
        if n < 126:
            hdr = bytes([0x81, 0x80 | n])
        elif n < 65536:
            hdr = bytes([0x81, 0x80 | 126]) + struct.pack("!H", n)
        else:
            hdr = bytes([0x81, 0x80 | 127]) + struct.pack("!Q", n)
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

    def test_every_response_has_a_trace_id_and_errors_carry_it_and_fields_25(self):
        # #25: upstream scripts read X-Trace-Id, error.trace_id and error.fields[].
        st, js, h, _ = self.s.req("POST", "/api/settings/users", {"username": "x y", "password": "longenough1"},
                                  self.admin, headers={"X-Trace-Id": "script-run.42_a"})
        self.assertEqual(st, 400)
        self.assertEqual(h["x-trace-id"], "script-run.42_a")
        self.assertEqual(js["error"]["trace_id"], "script-run.42_a")
        self.assertEqual(js["error"]["field"], "username")
        self.assertEqual(js["error"]["fields"][0]["path"], "username")
        self.assertEqual(js["error"]["fields"][0]["code"], js["error"]["code"])
        st, js, h, _ = self.s.req("GET", "/api/no-such-route", headers={"X-Trace-Id": "bad id!"})
        self.assertEqual(st, 404)
        self.assertRegex(h["x-trace-id"], r"^[A-Za-z0-9._-]{8,64}$")
        self.assertNotEqual(h["x-trace-id"], "bad id!")
        self.assertEqual(js["error"]["trace_id"], h["x-trace-id"])
        st, _, h, _ = self.s.req("GET", "/health")
        self.assertEqual(st, 200)
        self.assertRegex(h["x-trace-id"], r"^[A-Za-z0-9._-]{8,64}$")
        self.assertEqual(h["x-trace-id"], h["x-request-id"])

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
        # The upstream first-message form naming OpDesk's protocol (unnamed it is v1 since #25).
        ws.send({"token": self.sup, "protocol": "opdesk"})
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
        # No extension entity outside the scope in the bytes (an entity's keys are sorted, so
        # "extension" is followed by "group"); calls that touch the scope may name other parties.
        for other in ("1005", "1006"):
            self.assertNotIn(f'"extension": "{other}", "group"', raw.replace('":"', '": "').replace('","', '", "'))
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

    # ---- #6: the rest of the live API over the real binary -----------------------------------

    def ws_login(self, token, path="/ws"):
        ws = WS(self.s.port, path=path)
        ws.send({"type": "auth", "token": token})
        self.assertEqual(ws.recv()["type"], "auth_ok")
        return ws

    def test_websocket_v1_mode_speaks_the_upstream_shapes(self):
        ws = WS(self.s.port, path=f"/ws?protocol=v1&token={self.sup}")
        init = ws.until(lambda m: m["type"] != "auth_ok")
        self.assertEqual(init["type"], "initial_state")
        self.assertIsInstance(init["data"]["extensions"], dict)
        self.assertTrue(set(init["data"]["extensions"]) <= {"1001", "1002", "1003", "1010"}, init["data"]["extensions"].keys())
        for key in ("active_calls", "queues", "queue_members", "queue_entries", "stats"):
            self.assertIn(key, init["data"])
        self.assertRegex(init["timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        ws.send({"action": "get_state"})
        self.assertEqual(ws.until(lambda m: m["type"] == "state_update")["type"], "state_update")
        ws.send({"action": "barge", "supervisor": "1010", "target": "1001"})
        r = ws.until(lambda m: m["type"] == "action_result")
        self.assertEqual((r["action"], r["success"]), ("barge", False))
        self.assertIn("message", r)
        ws.send({"action": "no_such_thing"})
        e = ws.until(lambda m: m["type"] == "error")
        self.assertEqual(set(e), {"type", "message"})
        ws.close()

    def test_websocket_upstream_token_first_message_with_v1_hello(self):
        ws = WS(self.s.port)
        ws.send({"token": self.agent, "protocol": "v1"})
        m = ws.until(lambda m: m["type"] != "auth_ok")
        self.assertEqual(m["type"], "initial_state")
        self.assertEqual(set(m["data"]["extensions"]), {"1004"})
        ws.close()

    def test_websocket_upstream_way_of_authenticating_gets_v1_by_default_25(self):
        # #25: the upstream client never names a protocol: /ws?token= plus a bare {"token"}.
        ws = WS(self.s.port, path=f"/ws?token={self.admin}")
        ws.send({"token": self.admin})
        init = ws.until(lambda m: m["type"] != "auth_ok")
        self.assertEqual(init["type"], "initial_state")
        # Upstream's cadence: full states keep coming about every 500 ms without any action.
        t0 = time.monotonic()
        for _ in range(4):
            self.assertEqual(ws.until(lambda m: m["type"] == "state_update", 5)["type"], "state_update")
        self.assertLess(time.monotonic() - t0, 3.5)
        for e in init["data"]["queue_entries"].values():
            self.assertRegex(e["wait_time"], r"^\d\d:\d\d(:\d\d)?$")
        for x in init["data"]["extensions"].values():
            self.assertIsInstance(x["status_code"], str)
        for c in init["data"]["active_calls"].values():
            self.assertIn("original_destination", c)
            self.assertNotEqual(c["contact_name"], c["talking_to"])
        ws.close()
        bare = WS(self.s.port)
        bare.send({"token": self.agent})
        self.assertEqual(bare.until(lambda m: m["type"] != "auth_ok")["type"], "initial_state")
        bare.close()
        named = WS(self.s.port, path=f"/ws?protocol=opdesk&token={self.agent}")
        self.assertEqual(named.until(lambda m: m["type"] != "auth_ok")["type"], "snapshot")
        named.close()
        self.assertEqual(WS(self.s.port, path=f"/ws?protocol=v7&token={self.agent}").status, 400)

    def test_websocket_message_over_64_kib_is_closed_with_1009(self):
        ws = self.ws_login(self.admin)
        ws.send_text(json.dumps({"type": "ping", "pad": "x" * 70000}).encode())
        with self.assertRaises(EOFError):
            ws.until(lambda m: False, 10)
        self.assertEqual(ws.close_code, 1009)

    def test_websocket_actions_are_rate_limited_per_connection(self):
        ws = self.ws_login(self.admin)
        for i in range(1, 31):
            ws.send({"type": "action", "id": i, "action": "hangup", "target": "1999"})
        results = {}
        while len(results) < 30:
            m = ws.recv()
            if m["type"] == "action_result":
                results[m["id"]] = m
        codes = [r["error"]["code"] for r in results.values()]
        self.assertGreaterEqual(codes.count("request.rate_limited"), 5)
        self.assertIn("pbx.target.not_found", codes)
        ws.send({"type": "action", "id": 3, "action": "hangup", "target": "1999"})
        self.assertEqual(ws.until(lambda m: m["type"] == "action_result")["error"]["code"], "request.id.reuse")
        ws.close()
        # A second connection has its own budget.
        ws = self.ws_login(self.admin)
        ws.send({"type": "action", "id": 1, "action": "hangup", "target": "1999"})
        self.assertEqual(ws.until(lambda m: m["type"] == "action_result")["error"]["code"], "pbx.target.not_found")
        ws.close()

    def test_open_socket_is_rescoped_then_closed_when_the_admin_edits_the_user(self):
        st, u, _, _ = self.s.req("POST", "/api/settings/users", {
            "username": "rescoped", "password": "rescoped-pw-1", "role": "supervisor", "extension": "1012",
            "allowed_extensions": ["1001"], "monitor_modes": ["listen"]}, self.admin)
        self.assertEqual(st, 201, u)
        ws = self.ws_login(self.s.login("rescoped", "rescoped-pw-1"))
        snap = ws.until(lambda m: m["type"] == "snapshot")
        self.assertEqual({e["extension"] for e in snap["state"]["extensions"]}, {"1001", "1012"})
        st, _, _, _ = self.s.req("PUT", f"/api/settings/users/{u['id']}", {"allowed_extensions": ["1002"]}, self.admin)
        self.assertEqual(st, 200)
        ws.until(lambda m: m["type"] == "user")
        snap = ws.until(lambda m: m["type"] == "snapshot")
        self.assertEqual({e["extension"] for e in snap["state"]["extensions"]}, {"1002", "1012"})
        st, _, _, _ = self.s.req("PUT", f"/api/settings/users/{u['id']}", {"role": "admin"}, self.admin)
        snap = ws.until(lambda m: m["type"] == "snapshot")
        self.assertGreaterEqual(len(snap["state"]["extensions"]), 20)
        self.s.req("PUT", f"/api/settings/users/{u['id']}", {"active": False}, self.admin)
        with self.assertRaises(EOFError):
            ws.until(lambda m: False, 10)
        self.assertEqual(ws.close_code, 4001)

    def test_refusals_carry_their_status_and_code(self):
        cases = [  # (token, action, body, status, code)
            (self.agent, "listen", {"target": "1004"}, 403, "access.monitor_mode.forbidden"),
            (self.sup, "whisper", {"target": "1001"}, 403, "access.monitor_mode.forbidden"),
            (self.sup, "hangup", {"target": "1005"}, 403, "access.scope.forbidden"),
            (self.sup, "listen", {"target": "1001", "supervisor": "1002"}, 403, None),
            (self.admin, "hangup", {"target": "1999"}, 404, "pbx.target.not_found"),
            (self.admin, "queue_add", {"queue": "nosuchqueue", "extension": "1001"}, 404, "pbx.queue.not_found"),
            (self.admin, "originate", {"from": "1001", "number": "1002\nAction: Command"}, 400, None),
            (self.admin, "queue_pause", {"queue": "support", "extension": "1001", "reason": "a\rb"}, 400, "request.field.invalid"),
            (self.agent, "queue_pause", {"queue": "support", "extension": "1005"}, 403, None),
        ]
        for tok, action, body, status, code in cases:
            st, js, _, _ = self.s.req("POST", f"/api/actions/{action}", body, tok)
            self.assertEqual(st, status, (action, body, js))
            if code:
                self.assertEqual(js["error"]["code"], code, (action, body))

    def test_audit_log_filters_and_pages(self):
        for _ in range(3):
            self.s.req("POST", "/api/actions/hangup", {"target": "1998"}, self.admin)
        st, page1, _, _ = self.s.req("GET", "/api/audit?action=action.hangup&user=admin&limit=2", token=self.admin)
        self.assertEqual(st, 200)
        self.assertEqual(len(page1["items"]), 2)
        self.assertTrue(all(i["action"] == "action.hangup" and i["user"] == "admin" for i in page1["items"]))
        self.assertTrue(page1["next_cursor"])
        st, page2, _, _ = self.s.req("GET", f"/api/audit?action=action.hangup&user=admin&limit=2&cursor={page1['next_cursor']}", token=self.admin)
        self.assertEqual(st, 200)
        self.assertTrue(page2["items"])
        self.assertFalse({i["id"] for i in page1["items"]} & {i["id"] for i in page2["items"]})
        self.assertGreater(page1["items"][-1]["id"], page2["items"][0]["id"])
        st, js, _, _ = self.s.req("GET", "/api/audit?limit=0", token=self.admin)
        self.assertEqual((st, js["error"]["field"]), (400, "limit"))

    def test_api_key_scopes_and_expiry(self):
        def key(scopes, **extra):
            st, k, _, _ = self.s.req("POST", "/api/settings/api-keys", {"name": "k" + "-".join(scopes), "scopes": scopes, **extra}, self.admin)
            self.assertEqual(st, 201, k)
            return {"X-API-Key": k["key"]}
        cdr, write = key(["cdr:read"]), key(["calls:read", "calls:write"])
        self.assertEqual(self.s.req("GET", "/api/call-log", headers=cdr)[0], 200)
        self.assertEqual(self.s.req("GET", "/api/state", headers=cdr)[0], 403)
        self.assertEqual(self.s.req("GET", "/api/calls", headers=cdr)[0], 403)
        self.assertEqual(self.s.req("GET", "/api/call-log", headers=write)[0], 403)
        st, js, _, _ = self.s.req("POST", "/api/actions/hangup", {"target": "1999"}, headers=write)
        self.assertEqual((st, js["error"]["code"]), (404, "pbx.target.not_found"))  # past the scope check
        soon = key(["calls:read"], expires_at=int(time.time() * 1000) + 1500)
        self.assertEqual(self.s.req("GET", "/api/state", headers=soon)[0], 200)
        time.sleep(2)
        st, js, _, _ = self.s.req("GET", "/api/state", headers=soon)
        self.assertEqual(st, 401, js)
        self.assertEqual(self.s.req("GET", "/api/state", headers={"X-API-Key": "opd_" + "0" * 40})[0], 401)

    def test_openapi_lists_exactly_the_routes_the_router_serves(self):
        st, doc, _, _ = self.s.req("GET", "/api/openapi.json")
        self.assertEqual(st, 200)
        paths = doc["paths"]

        def matches(pattern, concrete):
            ps, cs = pattern.strip("/").split("/"), concrete.strip("/").split("/")
            if ps and ps[-1].endswith("*}"):
                return len(cs) >= len(ps) and all(p == c or p.startswith("{") for p, c in zip(ps[:-1], cs))
            return len(ps) == len(cs) and all(p == c or p.startswith("{") for p, c in zip(ps, cs))

        for pattern, ops in paths.items():
            concrete = re.sub(r"\{[^}]+\}", "zz9", pattern)
            # TRACE is no route's method: the router answers 405 with every method it has here.
            st, js, h, _ = self.s.req("TRACE", concrete, token=self.admin)
            self.assertEqual(st, 405, (pattern, js))
            served = {m.strip().lower() for m in h["allow"].split(",")}
            documented = {m for p, o in paths.items() if matches(p, concrete) for m in o}
            self.assertEqual(served, documented, pattern)
            for m, op in ops.items():
                self.assertTrue(op["summary"], (m, pattern))
                self.assertIn("responses", op)


class CallActionsTest(unittest.TestCase):
    """Every call action end to end: its own server at real speed (simulated calls last 15-120 s),
    calls placed by the test with click-to-call, then each action and the state change the
    simulator's resulting AMI events make in /api/state."""

    @classmethod
    def setUpClass(cls):
        cls.s = Server(speed="1", seed="11")
        cls.admin = cls.s.login("admin", ADMIN_PW)
        everyone = [str(e) for e in range(1001, 1019)]
        st, u, _, _ = cls.s.req("POST", "/api/settings/users", {
            "username": "boss", "password": "boss-pass-123", "role": "supervisor", "extension": "1016",
            "allowed_extensions": everyone, "allowed_queues": ["support", "sales"],
            "monitor_modes": ["listen", "whisper", "barge"]}, cls.admin)
        assert st == 201, u
        cls.boss = cls.s.login("boss", "boss-pass-123")

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def state(self):
        return self.s.req("GET", "/api/state", token=self.admin)[1]

    def wait(self, pred, what, timeout=45):
        end = time.time() + timeout
        while time.time() < end:
            got = pred(self.state())
            if got:
                return got
            time.sleep(0.3)
        self.fail("timed out waiting for " + what)

    def act(self, action, body, tok=None, want=200):
        st, js, _, _ = self.s.req("POST", f"/api/actions/{action}", body, tok or self.admin)
        self.assertEqual(st, want, (action, body, js))
        return js

    @staticmethod
    def call_with(st, *exts, state="up"):
        for c in st["calls"]:
            if c["state"] == state and set(exts) <= {p.get("extension") for p in c["parties"]}:
                return c
        return None

    def place(self):
        """Click-to-call between two idle extensions; returns (answered call, from, to). A
        simulated phone may be busy or not answer: then another idle pair is tried."""
        for _ in range(4):
            a = self.idle_extension(avoid=("1016",))
            b = self.idle_extension(avoid=("1016", a))
            self.act("originate", {"from": a, "number": b}, want=202)
            end = time.time() + 30
            while time.time() < end:
                call = self.call_with(self.state(), a, b)
                if call:
                    return call, a, b
                time.sleep(0.3)
        self.fail("no click-to-call was answered")

    def office_call(self, avoid=("1016",)):
        """An answered two-party call of the simulated office with one of our extensions in it."""
        def pick(st):
            for c in st["calls"]:
                if c["state"] != "up" or len(c["parties"]) != 2:
                    continue
                for p in c["parties"]:
                    e = p.get("extension") or ""
                    if e.isdigit() and 1001 <= int(e) <= 1018 and e not in avoid:
                        return c, e
            return None
        return self.wait(pick, "an answered office call", 150)

    def idle_extension(self, avoid):
        st = self.state()
        busy = {p.get("extension") for c in st["calls"] for p in c["parties"]}
        for e in st["extensions"]:
            if e["state"] == "idle" and e["registered"] and e["extension"] not in busy | set(avoid) \
                    and 1001 <= int(e["extension"]) <= 1018:
                return e["extension"]
        self.fail("no idle extension")

    def act_on_office_call(self, action, body_of, tok=None):
        """Runs `action` on an office call; a call that ends in between (409) is replaced by the next."""
        for _ in range(4):
            call, ext = self.office_call()
            st, js, _, _ = self.s.req("POST", f"/api/actions/{action}", body_of(ext), tok or self.admin)
            if st != 409:
                self.assertEqual(st, 200, (action, js))
                return call, ext
        self.fail(f"{action}: every office call ended before the action reached it")

    @staticmethod
    def has_party(st, ext):
        return any(ext in {p.get("extension") for p in c["parties"]} for c in st["calls"])

    def test_originate_record_and_spy_modes(self):
        call, a, b = self.place()
        self.act("record_start", {"target": a})
        self.wait(lambda st: (c := self.call_with(st, a, b)) and c["recording"], "recording shown on the call")
        self.act("record_stop", {"target": a})
        for mode in ("listen", "whisper", "barge"):
            js = self.act(mode, {"target": a}, self.boss)
            self.assertEqual(js["data"]["spied_channel"], [p for p in call["parties"] if p["extension"] == a][0]["channel"])
        spied = self.wait(lambda st: (c := self.call_with(st, a, b)) and c["spied_by"], "spy shown on the call")
        self.assertEqual(spied[0]["extension"], "1016")
        st, audit, _, _ = self.s.req("GET", "/api/audit?action=action.barge", token=self.admin)
        self.assertEqual(audit["items"][0]["result"], "ok")

    def test_hangup_ends_the_call(self):
        call, _ = self.act_on_office_call("hangup", lambda e: {"target": e})
        self.wait(lambda st: not any(c["id"] == call["id"] and c["state"] != "ended" for c in st["calls"]), "call ended")

    def test_blind_transfer_sends_the_other_party_to_the_destination(self):
        dest = self.idle_extension(avoid=("1016",))
        self.act_on_office_call("transfer", lambda e: {"target": e, "destination": dest})
        self.wait(lambda st: self.has_party(st, dest), f"the transferred party reaching {dest}")

    def test_attended_transfer_consults_the_destination(self):
        dest = self.idle_extension(avoid=("1016",))
        self.act_on_office_call("attended_transfer", lambda e: {"target": e, "destination": dest})
        self.wait(lambda st: self.has_party(st, dest), f"a consultation call reaching {dest}")

    def test_take_over_brings_the_call_to_my_phone(self):
        self.act_on_office_call("take_over", lambda e: {"target": e}, self.boss)
        self.wait(lambda st: self.has_party(st, "1016"), "the call brought to 1016")

    def test_park_puts_the_other_party_in_a_parking_space(self):
        call, a, b = self.place()
        self.act("park", {"target": a})
        self.wait(lambda st: any(p.get("extension") == b or p.get("call_id") == call["id"] for p in st["parked"]),
                  f"{b} parked")

    def test_pickup_answers_a_ringing_phone_from_mine(self):
        self.act("originate", {"from": "1015", "number": "1017"}, want=202)
        self.wait(lambda st: any(e["extension"] == "1015" and e["state"] == "ringing" for e in st["extensions"]),
                  "1015 ringing", 30)
        js = self.act("pickup", {"target": "1015"}, self.boss)
        self.assertIn("channel", json.dumps(js["data"]))
        st, js, _, _ = self.s.req("POST", "/api/actions/pickup", {"target": "1018"}, self.boss)
        self.assertEqual((st, js["error"]["code"]), (409, "pbx.target.not_ringing"))

    def test_queue_member_add_pause_penalty_unpause_remove(self):
        def member(st):
            q = [q for q in st["queues"] if q["name"] == "sales"][0]
            return next((m for m in q["members"] if m["interface"] == "PJSIP/1018"), None)
        if member(self.state()):
            self.act("queue_remove", {"queue": "sales", "extension": "1018"})
            self.wait(lambda st: not member(st), "1018 out of sales")
        self.act("queue_add", {"queue": "sales", "extension": "1018", "penalty": 1})
        self.assertEqual(self.wait(member, "1018 added")["penalty"], 1)
        self.act("queue_pause", {"queue": "sales", "extension": "1018", "reason": "lunch"})
        m = self.wait(lambda st: (m := member(st)) and m["paused"] and m, "1018 paused")
        self.assertEqual(m["reason"], "lunch")
        self.act("queue_penalty", {"queue": "sales", "extension": "1018", "penalty": 3})
        self.wait(lambda st: (m := member(st)) and m["penalty"] == 3, "penalty 3")
        self.act("queue_unpause", {"queue": "sales", "extension": "1018"})
        self.wait(lambda st: (m := member(st)) and not m["paused"], "1018 unpaused")
        self.act("queue_remove", {"queue": "sales", "extension": "1018"})
        self.wait(lambda st: not member(st), "1018 removed")

    def test_dnd_over_websocket_action(self):
        ws = WS(self.s.port)
        ws.send({"type": "auth", "token": self.admin})
        ws.until(lambda m: m["type"] == "snapshot")
        ws.send({"type": "action", "id": 1, "action": "dnd", "extension": "1017", "enabled": True})
        seen = {"result": None, "delta": False}

        def both(m):  # the delta may arrive before or after the result
            if m["type"] == "action_result":
                seen["result"] = m
            if any(c["kind"] == "extension" and c["id"] == "1017" and c["data"]["dnd"] for c in m.get("changes", [])):
                seen["delta"] = True
            return seen["result"] and seen["delta"]
        ws.until(both)
        self.assertTrue(seen["result"]["ok"])
        ws.send({"type": "action", "id": 2, "action": "dnd", "extension": "1017", "enabled": False})
        self.assertTrue(ws.until(lambda m: m["type"] == "action_result")["ok"])
        ws.close()


class AmiDownTest(unittest.TestCase):
    def test_actions_answer_503_unavailable_when_asterisk_is_unreachable(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            dead_port = probe.getsockname()[1]  # closed again before the server connects
        d = tempfile.mkdtemp(prefix="opdesk-api-")
        env = dict(os.environ, OPDESK_ADMIN_PASSWORD=ADMIN_PW, AMI_HOST="127.0.0.1", AMI_PORT=str(dead_port),
                   AMI_USERNAME="nobody", AMI_SECRET="nothing-here")
        proc = subprocess.Popen([BIN, "serve", "--listen", "127.0.0.1:0", "--data-dir", d], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, env=env, text=True)
        try:
            port = None
            end = time.time() + 60
            while time.time() < end and not port:
                m = re.search(r"listening on https?://[\d.]+:(\d+)", proc.stdout.readline())
                port = m and int(m.group(1))
            self.assertTrue(port, "server did not start")
            s = Server.__new__(Server)
            s.port, s.scheme, s.proc = port, "http", proc
            tok = s.login("admin", ADMIN_PW)
            st, js, _, _ = s.req("POST", "/api/actions/hangup", {"target": "1001"}, tok)
            self.assertEqual((st, js["error"]["code"]), (503, "pbx.ami.unavailable"))
            st, js, _, _ = s.req("GET", "/health")
            self.assertFalse(js["ami_connected"])
        finally:
            proc.terminate()
            proc.wait(timeout=15)


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
