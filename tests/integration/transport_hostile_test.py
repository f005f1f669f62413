#!/usr/bin/env python3
"""Transport under hostile peers (issue #18 items 2, 3, 6, 7 and the low ones on headers,
/health and /api/status), against the real binary on 127.0.0.1 with random ports and temp dirs.

- Malformed WebSocket messages (wrong types, non-objects, invalid JSON, binary frames), before
  and after authentication: each is answered (error frame naming the field, action_result with
  its id) or closed with a code, and /proc/<pid>/fd does not grow over 200 such connections.
- EMFILE: the descriptor limit of the running server is lowered below what it holds (prlimit),
  connections queue in the backlog: CPU time over 2 s stays low, the log grows by a few lines
  at most, and once descriptors are free again the backlog and new clients are served. A
  server started under a low `ulimit -n` raises its soft limit and fits max_connections.
- X-Forwarded-For with trusted_proxies: the rightmost untrusted entry is the client
  ("127.0.0.1, 203.0.113.7" gets no /metrics and is rate limited as 203.0.113.7).
- Slowloris: many trickling-header connections from 127.0.0.1 (per-IP cap 10, header deadline
  2 s) while a client from 127.0.0.2 is served; an idle keep-alive outlives the header deadline.
- Security headers on every response; the CSP names the PBX wss: origin of the softphone.
- /health: an AMI peer that accepts the login and never answers the resync is not healthy.
- /api/status: details and PBX-wide counts for admins only.
Run: transport_hostile_test.py /path/to/opdesk
"""
import http.client, json, os, re, resource, socket, struct, subprocess, sys, tempfile, threading, time, unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_test import ADMIN_PW, WS, Server  # noqa: E402  (the same harness as api_test.py)

BIN = os.environ.get("OPDESK_BIN") or (sys.argv[1] if len(sys.argv) > 1 else "build/opdesk")
TICKS = os.sysconf("SC_CLK_TCK")


class LoggedServer(Server):
    """`opdesk serve` with its output in a file (the log is measured, and a flood must not block
    on a full pipe). Extra settings come as OPDESK_* variables."""

    def __init__(self, *extra, env=None, demo=True, preexec=None, speed="20"):
        self.dir = tempfile.mkdtemp(prefix="opdesk-transport-")
        self.log_path = os.path.join(self.dir, "out.log")
        self.log = open(self.log_path, "w")
        e = dict(os.environ, OPDESK_ADMIN_PASSWORD=ADMIN_PW)
        e.update(env or {})
        args = [BIN, "serve", "--listen", "127.0.0.1:0", "--data-dir", self.dir, *extra]
        if demo:
            args += ["--demo", "--sim-speed", speed, "--sim-seed", "7"]
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, env=e, preexec_fn=preexec)
        self.scheme, self.port = "http", None
        deadline = time.time() + 60
        while time.time() < deadline and self.proc.poll() is None and not self.port:
            m = re.search(r"listening on http://[\d.]+:(\d+)", self.text())
            self.port = m and int(m.group(1))
            time.sleep(0.05)
        if not self.port:
            self.stop()
            raise RuntimeError("server did not start:\n" + self.text())

    def text(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def lines(self):
        return len(self.text().splitlines())

    def fds(self):
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def cpu_seconds(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime

    def stop(self):
        super().stop()
        self.log.close()


def recv_answer(ws, timeout=10):
    """The first frame (dict), or ("closed", code) when the server closes."""
    try:
        return ws.recv(timeout)
    except EOFError:
        return ("closed", ws.close_code)


def send_binary(ws, data):
    mask = os.urandom(4)
    ws.sock.sendall(bytes([0x82, 0x80 | len(data)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))


class WsMalformedTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = LoggedServer()
        cls.admin = cls.s.login("admin", ADMIN_PW)

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def authed(self):
        ws = WS(self.s.port)
        ws.send({"type": "auth", "token": self.admin})
        ws.until(lambda m: m["type"] == "snapshot")
        return ws

    def test_unauthenticated_malformed_messages_are_answered_and_leak_nothing(self):
        cases = [
            ('{"type":1}', "type"), ('{"type":null}', "type"), ('{"type":"resume","epoch":"x"}', None),
            ('{"token":"x","protocol":5}', "protocol"), ('{"type":"auth","token":5}', "token"),
            ('{"type":"auth","token":"x","resume":{"epoch":"x"}}', "resume.epoch"),
        ]
        # Warm up (first connections allocate lazily), then measure.
        for text, _ in cases:
            ws = WS(self.s.port)
            ws.send_text(text.encode())
            recv_answer(ws)
            ws.close()
        time.sleep(0.5)
        before = self.s.fds()
        for i in range(200):
            ws = WS(self.s.port)
            self.assertEqual(ws.status, 101)
            kind = i % (len(cases) + 3)
            if kind < len(cases):
                text, field = cases[kind]
                ws.send_text(text.encode())
                got = recv_answer(ws)
                if isinstance(got, dict):  # an error frame naming the field, then the close
                    self.assertEqual(got["type"], "error", text)
                    if field and "field" in got.get("error", {}):
                        self.assertEqual(got["error"]["field"], field, text)
                    got = recv_answer(ws)
                self.assertEqual(got[0], "closed", text)
                self.assertIn(got[1], (4001, 4002), text)
            elif kind == len(cases):  # not an object / not JSON: an error frame, the socket lives
                ws.send_text(b"[1,2]")
                self.assertEqual(recv_answer(ws)["error"]["code"], "request.body.invalid_json")
                ws.send_text(b"{nope")
                self.assertEqual(recv_answer(ws)["error"]["code"], "request.body.invalid_json")
            elif kind == len(cases) + 1:  # binary frames are not the protocol: close 1003
                send_binary(ws, b"\x00\x01binary")
                self.assertEqual(recv_answer(ws), ("closed", 1003))
            else:  # the peer vanishes mid-session
                ws.send_text(b'{"type":')
            ws.close()
        deadline = time.time() + 10
        while time.time() < deadline and self.s.fds() > before + 8:
            time.sleep(0.2)
        self.assertLessEqual(self.s.fds(), before + 8, "descriptors leaked by malformed WS messages")
        self.assertIsNone(self.s.proc.poll())
        self.assertEqual(self.s.req("GET", "/health")[0], 200)

    def test_authenticated_malformed_messages_get_errors_naming_the_field_and_actions_their_id(self):
        before = self.s.fds()
        for round_ in range(20):
            ws = self.authed()
            ws.send_text(b'{"type":1,"id":9}')
            m = ws.until(lambda m: m["type"] == "error")
            self.assertEqual((m["error"]["field"], m["id"]), ("type", 9))
            ws.send_text(b'{"type":"resume","epoch":"x","seq":1}')
            self.assertEqual(ws.until(lambda m: m["type"] == "error")["error"]["field"], "epoch")
            ws.send_text(b'{"type":"action","id":1,"action":7}')
            r = ws.until(lambda m: m["type"] == "action_result")
            self.assertEqual((r["id"], r["ok"], r["error"]["field"]), (1, False, "action"))
            ws.send_text(b'{"type":"action","id":"x","action":"hangup","target":"1001"}')
            r = ws.until(lambda m: m["type"] == "action_result")
            self.assertEqual((r["id"], r["ok"]), ("x", False))
            ws.send_text(b'{"type":"action","id":2,"action":"dnd","extension":"1001","enabled":"yes"}')
            r = ws.until(lambda m: m["type"] == "action_result")
            self.assertEqual((r["id"], r["ok"]), (2, False))
            ws.send({"type": "ping"})
            self.assertEqual(ws.until(lambda m: m["type"] == "pong")["type"], "pong")
            ws.close()
        deadline = time.time() + 10
        while time.time() < deadline and self.s.fds() > before + 8:
            time.sleep(0.2)
        self.assertLessEqual(self.s.fds(), before + 8)


class EmfileTest(unittest.TestCase):
    def test_accept_backs_off_when_descriptors_run_out_and_recovers(self):
        s = LoggedServer(speed="1")
        held, queued = [], []
        try:
            pid = s.proc.pid
            original = resource.prlimit(pid, resource.RLIMIT_NOFILE)
            for _ in range(3):
                c = socket.create_connection(("127.0.0.1", s.port))
                held.append(c)
            time.sleep(0.5)
            cpu = s.cpu_seconds()
            time.sleep(2.0)
            baseline = s.cpu_seconds() - cpu  # the idle server (simulator, timers)
            # The limit bounds descriptor numbers: at the lowest free one, nothing new can open.
            used = {int(x) for x in os.listdir(f"/proc/{pid}/fd")}
            lowest_free = next(i for i in range(len(used) + 1) if i not in used)
            resource.prlimit(pid, resource.RLIMIT_NOFILE, (lowest_free, original[1]))
            for _ in range(10):  # completed by the kernel, waiting in the backlog
                queued.append(socket.create_connection(("127.0.0.1", s.port), timeout=5))
            time.sleep(1.0)
            self.assertIn("accept failed", s.text())
            lines, accept_lines, cpu = s.lines(), s.text().count("accept failed"), s.cpu_seconds()
            time.sleep(2.0)
            spent, grown = s.cpu_seconds() - cpu, s.lines() - lines
            self.assertLess(spent, baseline + 0.4, f"accept loop spent {spent:.2f} s CPU in 2 s at EMFILE "
                                                   f"(idle: {baseline:.2f} s)")
            self.assertLessEqual(s.text().count("accept failed") - accept_lines, 1)
            self.assertLessEqual(grown, 10, "log flood at EMFILE:\n" + "\n".join(s.text().splitlines()[-5:]))
            # Descriptors back: the queued connections and new clients are served.
            resource.prlimit(pid, resource.RLIMIT_NOFILE, original)
            for c in held:
                c.close()
            held = []
            q = queued[0]
            q.settimeout(10)
            q.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            self.assertIn(b"200 OK", q.recv(4096))
            self.assertEqual(s.req("GET", "/health")[0], 200)
        finally:
            for c in held + queued:
                c.close()
            s.stop()

    def test_a_low_ulimit_is_raised_to_the_hard_limit_and_max_connections_fitted(self):
        def low():
            resource.setrlimit(resource.RLIMIT_NOFILE, (128, 256))
        s = LoggedServer(preexec=low)
        conns = []
        try:
            with open(f"/proc/{s.proc.pid}/limits") as f:
                line = next(l for l in f if l.startswith("Max open files"))
            self.assertEqual(line.split()[3:5], ["256", "256"])
            self.assertRegex(s.text(), r"max_connections 4096 does not fit the descriptor limit 256.*using 192")
            for _ in range(230):  # more than fit: the surplus is refused, accept() never fails
                conns.append(socket.create_connection(("127.0.0.1", s.port)))
            time.sleep(1.0)
            self.assertNotIn("accept failed", s.text())
            for c in conns:
                c.close()
            conns = []
            deadline = time.time() + 10
            while time.time() < deadline:
                try:
                    if s.req("GET", "/health")[0] == 200:
                        break
                except OSError:
                    time.sleep(0.2)
            self.assertEqual(s.req("GET", "/health")[0], 200)
        finally:
            for c in conns:
                c.close()
            s.stop()


class ForwardedForTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = LoggedServer(env={"OPDESK_SERVER_TRUSTED_PROXIES": "127.0.0.1"})

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def test_forged_leftmost_entry_does_not_unlock_metrics(self):
        self.assertEqual(self.s.req("GET", "/metrics")[0], 200)  # the proxy's own scrape
        st, _, _, _ = self.s.req("GET", "/metrics", headers={"X-Forwarded-For": "127.0.0.1, 203.0.113.7"})
        self.assertEqual(st, 401)
        st, _, _, _ = self.s.req("GET", "/metrics", headers={"X-Forwarded-For": "203.0.113.7, 127.0.0.1"})
        self.assertEqual(st, 401, "127.0.0.1 is a trusted hop: the client is 203.0.113.7")

    def test_login_limit_counts_the_real_client_whatever_it_forges(self):
        body = {"login": "xff-victim", "password": "wrong-password-1"}
        for i in range(10):
            st, _, _, _ = self.s.req("POST", "/api/auth/login", body,
                                     headers={"X-Forwarded-For": f"10.0.{i}.1, 203.0.113.7"})
            self.assertEqual(st, 401)
        st, js, _, _ = self.s.req("POST", "/api/auth/login", body,
                                  headers={"X-Forwarded-For": "127.0.0.1, 203.0.113.7"})
        self.assertEqual((st, js["error"]["code"]), (429, "auth.rate_limited"))
        st, _, _, _ = self.s.req("POST", "/api/auth/login", body, headers={"X-Forwarded-For": "198.51.100.4"})
        self.assertEqual(st, 401, "another client is not limited by 203.0.113.7's failures")


class SlowlorisTest(unittest.TestCase):
    def test_trickling_headers_from_one_address_do_not_lock_out_others(self):
        s = LoggedServer(env={"OPDESK_SERVER_MAX_CONNECTIONS": "40", "OPDESK_SERVER_MAX_CONNECTIONS_PER_IP": "10",
                              "OPDESK_SERVER_HEADER_TIMEOUT_S": "2"})
        attackers, stop = [], threading.Event()
        try:
            for _ in range(50):
                c = socket.create_connection(("127.0.0.1", s.port))
                c.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
                attackers.append(c)

            def trickle():
                while not stop.is_set():
                    for c in attackers:
                        try:
                            c.sendall(b"X")
                        except OSError:
                            pass
                    stop.wait(0.3)
            t = threading.Thread(target=trickle, daemon=True)
            t.start()
            time.sleep(0.5)
            # A client from another address is served during the attack.
            c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=5, source_address=("127.0.0.2", 0))
            c.request("GET", "/health")
            r = c.getresponse()
            r.read()
            self.assertEqual(r.status, 200)
            # An idle keep-alive connection outlives the header deadline (idle timeout is 60 s).
            time.sleep(2.5)
            c.request("GET", "/health")
            r = c.getresponse()
            r.read()
            self.assertEqual(r.status, 200)
            c.close()
            # Trickling never completes a header: every attacker is dropped at the deadline.
            deadline = time.time() + 6
            open_ = attackers
            while time.time() < deadline and open_:
                open_ = [a for a in open_ if not closed_by_peer(a)]
                time.sleep(0.2)
            self.assertEqual(len(open_), 0, "slow-header connections outlived the header deadline")
            self.assertRegex(s.text(), r"max_connections_per_ip \(10\)")
            self.assertEqual(s.req("GET", "/health")[0], 200)
        finally:
            stop.set()
            for a in attackers:
                a.close()
            s.stop()


def closed_by_peer(sock):
    sock.setblocking(False)
    try:
        data = sock.recv(4096)
        return data == b"" or b"408" in data or b"400" in data
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        sock.setblocking(True)


class HeadersAndStatusTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = LoggedServer(env={"WEBRTC_PBX_SERVER": "wss://pbx.example.com:8089/ws"})
        cls.admin = cls.s.login("admin", ADMIN_PW)
        st, _, _, _ = cls.s.req("POST", "/api/settings/users", {
            "username": "tsup", "password": "Transport-sup-pw-71", "role": "supervisor", "extension": "1010",
            "allowed_extensions": ["1001", "1002"], "monitor_modes": ["listen"]}, cls.admin)
        assert st == 201, st
        cls.sup = cls.s.login("tsup", "Transport-sup-pw-71")

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def test_every_response_carries_the_security_headers(self):
        for method, path, token in [("GET", "/health", None), ("GET", "/api/state", None),
                                    ("GET", "/api/nope", self.admin), ("GET", "/", None),
                                    ("GET", "/api/status", self.admin)]:
            st, _, h, _ = self.s.req(method, path, token=token)
            self.assertEqual(h.get("x-frame-options"), "DENY", path)
            self.assertEqual(h.get("x-content-type-options"), "nosniff", path)
            self.assertEqual(h.get("referrer-policy"), "no-referrer", path)
            csp = h.get("content-security-policy", "")
            self.assertIn("default-src 'self'", csp, path)
            self.assertIn("frame-ancestors 'none'", csp, path)
            self.assertIn("connect-src 'self' wss://pbx.example.com:8089;", csp, path)
            self.assertNotIn("unsafe-inline", csp)
        # The built UI (when present) runs under it: no inline script or style block.
        st, _, h, html = self.s.req("GET", "/")
        if st == 200 and "text/html" in h.get("content-type", ""):
            self.assertIsNone(re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script> in index.html")
            self.assertNotIn("<style", html)
        # A 431 written by the transport itself has them too.
        raw = socket.create_connection(("127.0.0.1", self.s.port), timeout=10)
        raw.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
        head = raw.recv(65536).decode(errors="replace").lower()
        raw.close()
        self.assertIn(" 431 ", head.splitlines()[0])
        self.assertIn("x-frame-options: deny", head)

    def test_status_details_are_for_admins_and_counts_are_scoped(self):
        st, full, _, _ = self.s.req("GET", "/api/status", token=self.admin)
        self.assertEqual(st, 200)
        for key in ("pbx", "database", "websocket_clients"):
            self.assertIn(key, full)
        st, mine, _, _ = self.s.req("GET", "/api/status", token=self.sup)
        self.assertEqual(st, 200)
        for key in ("pbx", "database", "websocket_clients", "webrtc", "crm", "qos", "directory", "call_log"):
            self.assertNotIn(key, mine)
        st, state, _, _ = self.s.req("GET", "/api/state", token=self.sup)
        self.assertEqual(mine["extensions_count"], len(state["extensions"]))
        self.assertLess(mine["extensions_count"], full["extensions_count"])
        st, k, _, _ = self.s.req("POST", "/api/settings/api-keys", {"name": "status", "scopes": ["calls:read"]},
                                 self.admin)
        self.assertEqual(st, 201)
        st, keyed, _, _ = self.s.req("GET", "/api/status", headers={"X-API-Key": k["key"]})
        self.assertEqual(st, 200)
        self.assertNotIn("pbx", keyed)
        self.assertNotIn("database", keyed)


class HangingAmi:
    """An AMI peer that sends the banner, accepts Login and then never answers anything."""

    def __init__(self):
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(8)
        self.port = self.lsock.getsockname()[1]
        self.actions, self.conns = [], []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            self.conns.append(c)
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        try:
            c.sendall(b"Asterisk Call Manager/5.0.1\r\n")
            buf = b""
            while True:
                data = c.recv(4096)
                if not data:
                    return
                buf += data
                while b"\r\n\r\n" in buf:
                    frame, buf = buf.split(b"\r\n\r\n", 1)
                    fields = dict(l.split(": ", 1) for l in frame.decode().split("\r\n") if ": " in l)
                    action = fields.get("Action", "")
                    self.actions.append(action)
                    if action.lower() == "login":
                        c.sendall(("Response: Success\r\nActionID: %s\r\nMessage: Authentication accepted\r\n\r\n"
                                   % fields.get("ActionID", "")).encode())
        except OSError:
            return

    def close(self):
        self.lsock.close()
        for c in self.conns:
            c.close()


class HealthTest(unittest.TestCase):
    def test_an_ami_peer_that_logs_in_then_hangs_is_not_healthy(self):
        ami = HangingAmi()
        s = LoggedServer(demo=False, env={"AMI_HOST": "127.0.0.1", "AMI_PORT": str(ami.port),
                                          "AMI_USERNAME": "panel", "AMI_SECRET": "secret"})
        try:
            deadline = time.time() + 20
            while time.time() < deadline and not any(a not in ("Login", "login") and a for a in ami.actions):
                time.sleep(0.1)
            # The resync has begun (its first action, CoreSettings, is never answered).
            self.assertTrue(any(a not in ("Login", "login") and a for a in ami.actions), ami.actions)
            for _ in range(3):
                st, js, _, _ = s.req("GET", "/health")
                self.assertEqual(st, 200)
                self.assertTrue(js["ami_logged_in"])
                self.assertFalse(js["ami_connected"], "logged in but never synchronised")
                self.assertFalse(js["ami_synced"])
                time.sleep(1)
            admin = s.login("admin", ADMIN_PW)
            st, js, _, _ = s.req("GET", "/api/status", token=admin)
            self.assertFalse(js["synced"])
        finally:
            s.stop()
            ami.close()


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
