#!/usr/bin/env python3
"""Hostile-input sweep against the real binary (issue #18, "Tests that stay").

Design: one `opdesk serve --demo` (built-in simulator, SQLite, random port) and four callers:
admin, a supervisor over 1001-1003 + queue support, an agent on 1004 and a `calls:read` API key.
The sweep is generated, not hand-listed:
  - actions: every name of the planner table in src/api/actions.cpp (a new action without a row in
    ACTIONS below fails the test), each parameter of its row sent as float, bool, null, array,
    object, missing, 17 KB, CR/LF + control characters, plus an unknown extra field and
    out-of-scope / missing entities (call_id, channel, target, extension, queue, interface,
    supervisor, from) — over REST (POST /api/actions/<name>) and over WS ({"type":"action"}).
  - REST routes: every POST/PUT/PATCH route of GET /api/openapi.json with the same mutations of
    its body fields (ROUTES below; a route without a row gets the generic body mutations), and
    every route with a path parameter with hostile path segments.
  - WS protocol: malformed frames before and after authentication.
Asserted per case: the process is alive, no 5xx (503 only with a documented `*.unavailable`
code), admins get 400 for ill-typed/oversize/unknown parameters, non-admins never get a 2xx for
something outside their scope and such a call is still up afterwards, every WS action message is
answered. After the sweep: /proc/<pid>/fd did not grow, and every attempt that reached the PBX
(2xx, 502, 504) has its audit row. A server that dies is restarted so the sweep goes on; every
failing case is listed at the end (one line each). Bounded: ~1 min under ASan.
Run: hostile_test.py /path/to/opdesk
"""
import itertools, json, os, re, socket, sys, threading, time, unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_test import ADMIN_PW, WS, Server  # noqa: E402  (the same server harness as api_test.py)
import http.client  # noqa: E402

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src")
BIG = "x" * (17 * 1024)
CTRL = "1001\r\nAction: Command\r\nCommand: core stop now\x00\x07"
SUP_EXTS, SUP_QUEUES, SUP_OWN, ADMIN_OWN = {"1001", "1002", "1003"}, {"support"}, "1010", "1016"
AGENT_EXT = "1004"

# action → (baseline params, the parameters to mutate). Baselines are valid for the admin and in
# the supervisor's scope; each case changes one parameter.
SPY = ({"target": "1001"}, ["target", "extension", "call_id", "supervisor", "source"])
QMEMBER = ["queue", "interface", "extension", "member", "reason"]
ACTIONS = {
    "listen": SPY, "whisper": SPY, "barge": SPY,
    "hangup": ({"target": "1001"}, ["target", "call_id", "channel", "extension"]),
    "transfer": ({"target": "1001", "destination": "1002"}, ["target", "destination", "call_id"]),
    "attended_transfer": ({"target": "1001", "destination": "1002"}, ["target", "destination", "call_id"]),
    "take_over": ({"target": "1001"}, ["target", "call_id"]),
    "park": ({"target": "1001"}, ["target", "lot", "call_id"]),
    "pickup": ({"target": "1001"}, ["target"]),
    "originate": ({"from": "1001", "number": "1002"}, ["from", "number", "timeout", "caller_id"]),
    "click_to_call": ({"from": "1001", "number": "1002"}, ["from", "number", "timeout", "caller_id"]),
    "record_start": ({"target": "1001"}, ["target", "call_id"]),
    "record_stop": ({"target": "1001"}, ["target", "call_id"]),
    "dnd": ({"extension": "1001", "enabled": False}, ["extension", "target", "enabled"]),
    "queue_add": ({"queue": "support", "extension": "1001", "penalty": 1},
                  QMEMBER + ["penalty", "paused", "membername", "name"]),
    "queue_remove": ({"queue": "support", "extension": "1001"}, QMEMBER),
    "queue_pause": ({"queue": "support", "extension": "1001", "reason": "lunch"}, QMEMBER),
    "queue_unpause": ({"queue": "support", "extension": "1001"}, QMEMBER),
    "queue_penalty": ({"queue": "support", "extension": "1001", "penalty": 2}, QMEMBER + ["penalty"]),
}
BOOL_FIELDS = {"enabled", "paused", "attended", "active", "is_active", "hidden"}
INT_FIELDS = {"penalty", "timeout", "order", "days"}
ARRAY_FIELDS = {"monitor_modes", "allowed_extensions", "agent_extensions", "allowed_queues", "queue_names", "group_ids",
                "extensions", "queues", "queue_extensions", "user_ids", "scopes", "ids"}
# Parameters that name the same thing (the first one present wins): an out-of-scope value for one
# of them is sent without the others.
ALIASES = [{"target", "extension", "source"}, {"interface", "extension", "member"}]

# REST routes with a JSON body: "METHOD pattern" → (baseline body, fields, audited action or None).
USER_FIELDS = ["username", "password", "name", "role", "extension", "active", "is_active", "monitor_modes",
               "allowed_extensions", "agent_extensions", "allowed_queues", "queue_names", "group_ids"]
GROUP_FIELDS = ["name", "extensions", "agent_extensions", "queues", "queue_extensions", "user_ids"]
SETTINGS = ({"PANEL_TITLE": "Desk"}, ["PANEL_TITLE", "CRM_TIMEOUT", "CRM_SERVER_URL"], None)
CRM = ({}, ["enabled", "server_url", "auth_type", "api_key", "timeout"], None)
CONTACT = ({"name": "Ann", "phone": "+33123456789"}, ["name", "phone"], None)
KEY_NEW = ({"name": "hk", "scopes": ["calls:read"]}, ["name", "scopes", "expires_at"], None)
KEY_EDIT = ({"name": "hk2"}, ["name", "scopes", "enabled", "expires_at"], None)
ROUTES = {
    "POST /api/calls/transfer": ({"target": "1001", "destination": "1002"}, ["target", "destination", "attended", "call_id"], "transfer"),
    "POST /api/integration/click-to-call": ({"from": "1001", "number": "1002"}, ["from", "extension", "number"], "originate"),
    "POST /api/extensions/{ext}/dnd": ({"enabled": False}, ["enabled"], "dnd"),
    "POST /api/queues/{queue}/members": ({"extension": "1001", "penalty": 1}, ["extension", "interface", "penalty", "paused", "membername"], "queue_add"),
    "POST /api/queues/{queue}/members/{member}/{op}": ({"reason": "lunch"}, ["reason", "penalty"], "queue_pause"),
    "POST /api/settings/users": ({"username": "hostile1", "password": "hostile-pass-123", "role": "agent"}, USER_FIELDS, None),
    "PUT /api/settings/users/{id}": ({"name": "Victim"}, USER_FIELDS, None),
    "POST /api/settings/groups": ({"name": "hgroup"}, GROUP_FIELDS, None),
    "PUT /api/settings/groups/{id}": ({"name": "hgroup2"}, GROUP_FIELDS, None),
    "POST /api/settings": SETTINGS, "PUT /api/settings": SETTINGS,
    "PUT /api/settings/crm": CRM, "POST /api/crm/config": CRM,
    "POST /api/settings/crm/test": ({}, [], None), "POST /api/crm/test": ({}, [], None),  # data: free JSON
    "POST /api/crm/deliveries/resend": ({"ids": [1]}, ["ids"], None),
    "POST /api/crm/deliveries/prune": ({}, ["days"], None),
    "POST /api/crm/contacts": CONTACT, "POST /api/contacts": CONTACT,
    "PUT /api/crm/contacts/{id}": CONTACT, "PUT /api/contacts/{id}": CONTACT,
    "PUT /api/directory/{number}": ({"label": "Desk"}, ["hidden", "label", "group", "order"], None),
    "PUT /api/webrtc/credentials/{extension}": ({"password": "sip-pass-12345"}, ["password"], None),
    "POST /api/settings/api-keys": KEY_NEW, "POST /api/api-keys": KEY_NEW,
    "PATCH /api/settings/api-keys/{id}": KEY_EDIT, "PATCH /api/api-keys/{id}": KEY_EDIT,
}
SKIP_ROUTES = {"POST /api/actions/{action}",  # the action sweep covers it
               "POST /api/auth/login"}        # swept last (failed logins lock the account)
HOSTILE_SEGMENTS = ["0", "abc", "..%2f..%2fetc", "99999999999999999999", "%0d%0aX:%20y%00", "y" * 4096]
WS_FRAMES_UNAUTHED = ['{"type":1}', '{"type":null}', '{"type":"resume","epoch":"x"}', '{"token":"x","protocol":5}',
                      '{"type":"auth","token":5}', '{"type":"auth","token":"x","resume":{"epoch":"x","seq":[]}}',
                      '[]', '"text"', '{', '{"type":"auth","token":"' + BIG + '"}']
WS_FRAMES_AUTHED = ['{"type":1}', '{"type":null}', '{"type":"resume","epoch":"x"}', '{"type":"resume","seq":[1]}',
                    '{"token":"x","protocol":5}', '{"type":"action","id":"x","action":"hangup"}',
                    '{"type":"action","id":1.5,"action":"hangup"}', '{"type":"action","id":7,"action":5}',
                    '{"type":"action","id":8,"action":null}', '{"action":{"a":1}}', '{"action":"listen","target":[1]}',
                    '{"type":"snapshot","x":{}}', '[]', '{']


def wrong_values(field):
    """(label, value) per hostile variant of one parameter; MISSING removes it."""
    out = [("float", 1.5), ("null", None), ("object", {"x": 1}), ("missing", MISSING), ("17KB", BIG), ("ctrl", CTRL)]
    out.append(("string", "1001") if field in ARRAY_FIELDS else ("array", [1001]))
    out.append(("string", "yes") if field in BOOL_FIELDS | INT_FIELDS else ("bool", True))
    return out


MISSING = object()
TYPED = {"float", "array", "object", "17KB", "ctrl", "string", "bool", "unknown"}  # must be refused


def source_actions():
    """Action names of the planner table and every parameter name the planners read."""
    with open(os.path.join(SRC, "api", "actions.cpp")) as f:
        text = f.read()
    names = set(re.findall(r'^\s*\{"([a-z_]+)",', text, re.M))
    params = set(re.findall(r'(?:str|need|find|value|contains|get)\(\s*(?:c\.p,\s*|p,\s*)?"([a-z_]+)"', text))
    return names, params


EXTRA = range(2, 9)  # seven more users (and keys) per role
RATE, BURST = 5.0, 20.0  # the server's per-principal action budget (REST) and per-socket (WS)
LIMITED = re.compile(r"^/api/(actions|calls|integration|extensions|queues)/")


class Caller:
    """One role: a keep-alive HTTP connection and a few credentials of identical scope (the REST
    action limiter counts per principal, so the sweep rotates them instead of sleeping)."""

    def __init__(self, name, scope, tokens=(), keys=()):
        self.name, self.scope = name, scope
        self.creds = [{"Authorization": "Bearer " + t} for t in tokens] + [{"X-API-Key": k} for k in keys]
        self.token = tokens[0] if tokens else None
        self.key = keys[0] if keys else None
        self.buckets = [[BURST, time.time()] for _ in self.creds]
        self.conn = None

    def headers(self, limited=False):
        if not limited:
            return self.creds[0]
        while True:  # client-side copy of the server's token bucket: never trip the limiter
            now = time.time()
            for i, b in enumerate(self.buckets):
                b[0], b[1] = min(BURST, b[0] + (now - b[1]) * RATE), now
                if b[0] >= 1.0:
                    b[0] -= 1.0
                    return self.creds[i]
            time.sleep(0.05)


class Sweep:
    def __init__(self):
        self.failures, self.cases, self.reached, self.restarts = [], 0, {}, 0
        self.ws = {}  # role → its current action socket
        self.lock = threading.Lock()
        self.start()

    # ---- server lifecycle ---------------------------------------------------------------------
    def start(self):
        self.s = Server(speed="4", seed="7")
        self.pid = self.s.proc.pid
        self.t0_ms = int(time.time() * 1000) - 1000
        end = time.time() + 60
        while time.time() < end and not self.s.req("GET", "/health")[1].get("ami_connected"):
            time.sleep(0.2)
        self.admin_tok = self.s.login("admin", ADMIN_PW)
        adm = Caller("admin", None, tokens=[self.admin_tok])
        self.admin = adm
        # Admins get a phone too, so take_over/pickup/spy reach their parameter checks.
        st, js, _, _ = self.call(adm, "PUT", "/api/settings/users/1", {"extension": ADMIN_OWN})
        assert st == 200, js
        st, sup, _, _ = self.call(adm, "POST", "/api/settings/users", {
            "username": "hsup", "password": "hostile-sup-pw-1", "role": "supervisor", "extension": SUP_OWN,
            "allowed_extensions": sorted(SUP_EXTS), "allowed_queues": sorted(SUP_QUEUES),
            "monitor_modes": ["listen", "whisper", "barge"]})
        assert st == 201, sup
        st, ag, _, _ = self.call(adm, "POST", "/api/settings/users", {
            "username": "hagent", "password": "hostile-agent-pw-1", "role": "agent", "extension": AGENT_EXT})
        assert st == 201, ag
        st, vic, _, _ = self.call(adm, "POST", "/api/settings/users", {
            "username": "victim", "password": "Vx-9281-qwerty-z", "role": "agent"})
        self.ids = {"user": vic["id"]}
        st, g, _, _ = self.call(adm, "POST", "/api/settings/groups", {"name": "victims"})
        self.ids["group"] = g.get("id", 1) if isinstance(g, dict) else 1
        st, c, _, _ = self.call(adm, "POST", "/api/crm/contacts", {"name": "Bob", "phone": "+3311111"})
        self.ids["contact"] = c.get("id", 1) if isinstance(c, dict) else 1
        st, k, _, _ = self.call(adm, "POST", "/api/settings/api-keys", {"name": "victimkey", "scopes": ["calls:read"]})
        self.ids["key"] = k["id"]
        st, k, _, _ = self.call(adm, "POST", "/api/settings/api-keys", {"name": "hkey", "scopes": ["calls:read"]})
        keys = [k["key"]]
        for n in (f"hkey{i}" for i in EXTRA):
            keys.append(self.call(adm, "POST", "/api/settings/api-keys", {"name": n, "scopes": ["calls:read"]})[1]["key"])
        extra = {"admin": [], "hsup": [], "hagent": []}
        for n in EXTRA:  # same role and scope: more REST action budget per role
            for role, body in (("admin", {"role": "admin", "extension": ADMIN_OWN}),
                               ("hsup", {"role": "supervisor", "extension": SUP_OWN, "allowed_extensions": sorted(SUP_EXTS),
                                         "allowed_queues": sorted(SUP_QUEUES), "monitor_modes": ["listen", "whisper", "barge"]}),
                               ("hagent", {"role": "agent", "extension": AGENT_EXT})):
                user, pw = f"{role}{n}", f"Qz-{n}81-{role[::-1]}-plume"
                st, _, _, _ = self.call(adm, "POST", "/api/settings/users", dict(body, username=user, password=pw))
                if st == 201:
                    extra[role].append(self.s.login(user, pw))
        self.users = {r: [r] + [f"{r}{n}" for n in EXTRA] for r in ("admin", "hsup", "hagent", "hkey")}
        adm.creds += [{"Authorization": "Bearer " + t} for t in extra["admin"]]
        adm.buckets = [[BURST, time.time()] for _ in adm.creds]
        self.callers = [adm,
                        Caller("hsup", (SUP_EXTS | {SUP_OWN}, SUP_QUEUES), tokens=[self.s.login("hsup", "hostile-sup-pw-1")] + extra["hsup"]),
                        Caller("hagent", ({AGENT_EXT}, set()), tokens=[self.s.login("hagent", "hostile-agent-pw-1")] + extra["hagent"]),
                        Caller("hkey", (set(), set()), keys=keys)]
        # Warm up every kind of descriptor the server keeps (DB sessions, a WS), then count.
        for c in self.callers:
            self.call(c, "GET", "/api/state")
        ws = self.ws_login(self.callers[1])
        ws.close()
        time.sleep(1.0)
        self.fd0 = self.fds()

    def fds(self):
        try:
            return len(os.listdir(f"/proc/{self.pid}/fd"))
        except OSError:
            return -1

    def alive(self):
        return self.s.proc.poll() is None

    def died(self, case):
        if threading.current_thread() is not threading.main_thread():
            self.fail(case, "server died (parallel REST batch: one of the cases in flight)")
            raise ServerDied()  # ends this thread; the main thread restarts the server
        out = ""
        try:
            self.s.proc.wait(timeout=5)
            out = self.s.proc.stdout.read()[-600:].replace("\n", " | ")
        except Exception:  # noqa: BLE001
            pass
        self.fail(case, f"server died (exit {self.s.proc.returncode}): {out}")
        self.finish_server(check=False)
        self.reached, self.ws = {}, {}  # that server's audit log is gone with it
        self.restarts += 1
        if self.restarts > 25:
            raise RuntimeError("server died more than 25 times; giving up:\n" + "\n".join(self.failures))
        self.start()

    def finish_server(self, check=True):
        if check and self.alive():
            for c in self.callers:
                if c.conn:
                    c.conn.close()
                    c.conn = None
            time.sleep(1.5)
            fd1 = self.fds()
            if fd1 > self.fd0 + 4:
                self.fail("fd", f"descriptors grew from {self.fd0} to {fd1} across the sweep")
            self.check_audit()
        self.s.stop()

    # ---- transport ----------------------------------------------------------------------------
    def call(self, who, method, path, body=None, raw=None):
        for attempt in range(8):
            st = self.call_once(who, method, path, body, raw, attempt)
            if st[0] != 429:
                return st
            time.sleep(0.3)  # a limiter this sweep does not know about: wait and retry
        self.fail(f"rest {who.name} {method} {path}", "still 429 after 8 tries")
        return st

    def call_once(self, who, method, path, body, raw, retry):
        for attempt in range(2):
            if who.conn is None:
                who.conn = http.client.HTTPConnection("127.0.0.1", self.s.port, timeout=20)
            h = dict(who.headers(method != "GET" and bool(LIMITED.match(path))))
            data = raw if raw is not None else (json.dumps(body) if body is not None else None)
            if data is not None:
                h["Content-Type"] = "application/json"
            try:
                who.conn.request(method, path, body=data, headers=h)
                r = who.conn.getresponse()
                text = r.read().decode("utf-8", "replace")
            except (OSError, http.client.HTTPException):
                who.conn.close()
                who.conn = None
                if not self.alive():
                    raise ServerDied()
                if attempt:
                    raise
                continue
            try:
                js = json.loads(text) if text else None
            except ValueError:
                js = None
            if r.getheader("Connection", "").lower() == "close":
                who.conn.close()
                who.conn = None
            return r.status, js, {k.lower(): v for k, v in r.getheaders()}, text
        raise AssertionError("unreachable")

    def ws_login(self, who):
        ws = WS(self.s.port)
        ws.send({"type": "auth", "token": who.token})
        ws.until(lambda m: m["type"] == "auth_ok", 15)
        ws.next_id = 1
        return ws

    # ---- bookkeeping --------------------------------------------------------------------------
    def fail(self, case, why):
        self.failures.append(f"{case}: {why}")

    def note_reached(self, who, action):
        key = (who.name, action)
        with self.lock:
            self.reached[key] = self.reached.get(key, 0) + 1

    def check_audit(self):
        for (role, action), n in sorted(self.reached.items()):
            rows = sum(self.audit_rows(u, action) for u in self.users.get(role, [role]))
            if rows < n:
                self.fail(f"audit {role} {action}", f"{n} attempts reached the PBX, {rows} audit rows")
        self.reached = {}

    def audit_rows(self, user, action):
        rows, cursor = 0, None
        while True:
            q = f"/api/audit?user={user}&action=action.{action}&limit=500&from={self.t0_ms}"
            st, js, _, _ = self.call(self.admin, "GET", q + (f"&cursor={cursor}" if cursor else ""))
            if st != 200:
                self.fail(f"audit {user} {action}", f"GET /api/audit answered {st}")
                return rows
            rows += sum(1 for i in js["items"] if i["result"] not in ("denied", "invalid"))
            cursor = js.get("next_cursor")
            if not cursor:
                return rows

    # ---- live state helpers -------------------------------------------------------------------
    def state(self):  # its own connection: the REST batch runs one thread per caller
        try:
            return self.s.req("GET", "/api/state", token=self.admin_tok)[1] or {"calls": []}
        except OSError:
            if not self.alive():
                raise ServerDied()
            return {"calls": []}

    def foreign_call(self, scope):
        """An up call outside scope = (extensions, queues), by the live stream's rule (no party's
        extension and not the call's queue in scope): (call id, one of its channels) or (None, None)."""
        scope_exts, scope_queues = scope
        for c in self.state().get("calls", []):
            exts = {p.get("extension") for p in c.get("parties", [])}
            chans = [p.get("channel") for p in c.get("parties", []) if p.get("channel")]
            if c.get("queue") and c.get("queue") in scope_queues:
                continue
            if c.get("state") == "up" and chans and not exts & scope_exts:
                return c["id"], chans[0]
        return None, None

    def call_up(self, call_id):
        return any(c["id"] == call_id and c.get("state") != "ended" for c in self.state().get("calls", []))

    # ---- one case -----------------------------------------------------------------------------
    def check(self, case, who, action, status, js, kind, field, route=None):
        """Judges one answer. status is the HTTP status (REST) or None (WS: ws_code/ok in js)."""
        self.cases += 1
        if status is not None:
            code = str(((js or {}).get("error") or {}).get("code", ""))
            # Documented: 503 *.unavailable (a dependency is down), 501 feature.not_supported (an
            # upstream endpoint OpDesk deliberately does not implement).
            if status >= 500 and not (status == 503 and code.endswith(".unavailable")) \
                    and not (status == 501 and code == "feature.not_supported"):
                self.fail(case, f"{status} {json.dumps(js)[:200]}")
            if action and status in (200, 202, 502, 504):
                self.note_reached(who, action)
            ok = 200 <= status < 300
        else:
            ok = bool(js.get("ok"))
            code = ((js.get("error") or {}).get("code")) or ""
            if code.startswith("internal") or code in ("pbx.ami.timeout",):
                self.fail(case, f"WS error {code}")
            if action and (ok or code in ("pbx.ami.refused", "pbx.ami.timeout")):
                self.note_reached(who, action)
        if kind in TYPED and ok:
            self.fail(case, f"accepted ({status or 'ws ok'}) a {kind} value")
        strict = action is not None and not route  # action parameters: exactly 400 naming the field
        if kind in TYPED and who.name == "admin" and status is not None and status != 400 and strict:
            self.fail(case, f"admin got {status}, want 400 naming {field}: {json.dumps(js)[:160]}")
        elif kind in TYPED and who.name == "admin" and status == 400 and (strict or route == "known"):
            named = ((js or {}).get("error") or {}).get("field")
            if named != field and not (kind == "unknown" and named == "zz_unknown"):
                self.fail(case, f"400 names field {named!r}, want {field!r}")
        if kind == "foreign" and ok:
            self.fail(case, f"out-of-scope {field} accepted ({status or 'ws ok'})")
        if kind == "foreign" and status is not None and status not in (403, 404):
            self.fail(case, f"out-of-scope {field}: {status}, want 403")
        if kind == "foreign-mixed" and ok:
            self.fail(case, f"out-of-scope {field} next to an in-scope target accepted ({status or 'ws ok'})")
        if kind == "absent" and status is not None and status not in (404, 400, 403):
            self.fail(case, f"missing entity in {field}: {status}, want 404")


class ServerDied(Exception):
    pass


class HostileSweepTest(unittest.TestCase):
    def test_sweep(self):
        t_start = time.time()
        names, params = source_actions()
        self.assertTrue(names, "no action table found in src/api/actions.cpp")
        self.assertFalse(names - set(ACTIONS), "actions without a sweep row (add them to ACTIONS)")
        known = {f for _, fs in ACTIONS.values() for f in fs} | {f for b, _ in ACTIONS.values() for f in b}
        self.assertFalse(params - known - {"type", "id", "action", "attended", "protocol"},
                         "action parameters the sweep does not mutate (add them to ACTIONS)")
        sw = Sweep()
        phases = [f"setup {time.time() - t_start:.0f} s"]
        try:
            for phase in (run_actions, run_routes, run_ws_frames, run_login):
                t = time.time()
                phase(sw)
                phases.append(f"{phase.__name__[4:]} {time.time() - t:.0f} s")
            sw.finish_server()
        finally:
            if sw.s.proc.poll() is None:
                sw.s.stop()
        took = time.time() - t_start
        print(f"hostile sweep: {sw.cases} cases, {sw.restarts} restarts, {took:.0f} s ({', '.join(phases)})",
              file=sys.stderr)
        if sw.failures:
            self.fail(f"{len(set(sw.failures))} failing case(s), grouped by reason:\n" + grouped(sw.failures))


def grouped(failures):
    """One block per reason (ids and trace ids stripped), its cases listed under it."""
    by = {}
    for f in sorted(set(failures)):
        case, _, why = f.partition(": ")
        why = re.sub(r'"trace_id": "[0-9a-f]+", |\b\d{10,}\b', "", why)
        by.setdefault(why, []).append(case)
    return "\n".join(f"- {why}\n    " + "\n    ".join(cases) for why, cases in sorted(by.items()))


# ---- generators ---------------------------------------------------------------------------------

def action_variants(sw, who, action):
    """(kind, field, params) for one action and caller."""
    base, fields = ACTIONS[action]
    out = []
    for f in fields:
        for kind, v in wrong_values(f):
            p = dict(base)
            if v is MISSING and f not in base:
                continue  # the baseline itself
            if v is MISSING:
                p.pop(f, None)
            else:
                p[f] = v
            out.append((kind, f, p))
    out.append(("unknown", "zz_unknown", dict(base, zz_unknown="x")))
    scope = who.scope
    if scope is not None and who.key is None:  # out-of-scope entities for supervisor / agent
        exts, queues = scope
        outside = "1005" if "1005" not in exts else "1006"
        def alone(f, v):
            p = {k: x for k, x in base.items() if not any(f in g and k in g and k != f for g in ALIASES)}
            p[f] = v
            return p
        for f in ("target", "extension", "from", "supervisor"):
            if f in fields or f in base:
                out.append(("foreign", f, alone(f, outside)))
        if "queue" in fields:
            out.append(("foreign", "queue", dict(base, queue="sales")))
        if "interface" in fields:
            out.append(("foreign", "interface", alone("interface", "PJSIP/" + outside)))
            out.append(("foreign", "interface", alone("interface", "Local/0044999@from-internal/n")))
        for f in ("call_id", "channel"):
            if f in fields:  # with the in-scope target of the baseline (issue #1), and alone
                out.append(("foreign-call-mixed", f, dict(base)))
                out.append(("foreign-call", f, {k: v for k, v in base.items() if k not in ("target", "extension")}))
    for f in ("call_id", "channel"):
        if f in fields:
            out.append(("absent", f, dict(base, **{f: "nope-123" if f == "call_id" else "PJSIP/9999-00000000"})))
    return out


def run_case(sw, who, action, kind, field, params, transport):
    case = f"{transport} {who.name} {action} {field}={kind}"
    foreign_call = None
    if kind.startswith("foreign-call"):
        cid, chan = sw.foreign_call(who.scope)
        if not cid:
            return  # no out-of-scope call at this moment; the next action gets another chance
        foreign_call = cid
        params = dict(params, **{field: cid if field == "call_id" else chan})
        kind = "foreign-mixed" if kind.endswith("mixed") else "foreign"
    try:
        if transport == "rest":
            st, js, _, _ = sw.call(who, "POST", f"/api/actions/{action}", params)
            if st == 502:  # Asterisk refused: a race with the simulated office gets one more try
                st, js, _, _ = sw.call(who, "POST", f"/api/actions/{action}", params)
            sw.check(case, who, action, st, js, kind, field)
        else:
            js = ws_action(sw, who, action, params, case)
            if js is not None:
                sw.check(case, who, action, None, js, kind, field)
    except ServerDied:
        sw.died(case)
        return
    if foreign_call:
        time.sleep(0.1)
        if not sw.call_up(foreign_call):
            # The call may have ended by itself: the same request on another foreign call decides.
            cid, chan = sw.foreign_call(who.scope)
            if cid:
                p = dict(params, **{field: cid if field == "call_id" else chan})
                try:
                    if transport == "rest":
                        sw.call(who, "POST", f"/api/actions/{action}", p)
                    else:
                        ws_action(sw, who, action, p, case)
                except ServerDied:
                    sw.died(case)
                    return
                time.sleep(0.1)
                if not sw.call_up(cid):
                    sw.fail(case, f"out-of-scope calls {foreign_call} and {cid} ended right after the request")


def ws_action(sw, who, action, params, case):
    """Sends one action over the caller's WS (a new socket every 15 actions: 5/s, burst 20)."""
    holder = sw.ws
    ws = holder.get(who.name)
    if ws is None or ws.next_id > 15:
        if ws:
            ws.close()
        try:
            ws = holder[who.name] = sw.ws_login(who)
        except (EOFError, OSError, TimeoutError, ValueError) as e:
            if not sw.alive():
                raise ServerDied()
            sw.fail(case, f"WS login failed ({type(e).__name__}: {e})"[:200])
            holder[who.name] = None
            return None
    n = ws.next_id
    ws.next_id += 1
    msg = dict(params)
    msg.update({"type": "action", "id": n, "action": action})
    try:
        ws.send(msg)
        return ws.until(lambda m: m.get("type") == "action_result" and m.get("id") == n, 10)
    except (EOFError, OSError, TimeoutError, ValueError) as e:
        holder[who.name] = None
        if not sw.alive():
            raise ServerDied()
        sw.fail(case, f"no action_result over WS ({type(e).__name__}: {e})"[:200])
        return None


# REST and WS reach the same action service; REST (rate-limited per principal) gets the variants
# that also test its body parsing and status mapping, WS every variant.
REST_KINDS = {"17KB", "ctrl", "unknown", "foreign", "foreign-call", "foreign-call-mixed", "absent"}
KEY_KINDS = {"17KB", "ctrl", "unknown", "float"}  # the key is refused before its parameters are read
FOREIGN_KINDS = {"foreign", "foreign-call", "foreign-call-mixed", "absent"}


def run_actions(sw):
    for transport in ("rest", "ws"):
        t0, n0 = time.time(), sw.cases
        # Round-robin over the callers: each one's REST action budget refills meanwhile.
        queues = []
        for who in list(sw.callers):
            if transport == "ws" and who.key:
                continue  # API keys are REST credentials; the WS takes a JWT only
            rest = transport == "rest"
            if who.key:
                kinds = KEY_KINDS
            elif who.name == "hagent":  # refused by role for most actions: fewer variants
                kinds = KEY_KINDS | FOREIGN_KINDS if rest else REST_KINDS
            else:
                kinds = REST_KINDS if rest else None
            queues.append([(who.name, a, v) for a in sorted(ACTIONS) for v in action_variants(sw, who, a)
                           if kinds is None or v[0] in kinds])
        def run_queue(q):
            try:
                for name, action, (kind, field, params) in q:
                    # The server may have been restarted: use the current caller objects.
                    cur = next(c for c in sw.callers if c.name == name)
                    run_case(sw, cur, action, kind, field, params, transport)
            except ServerDied:
                if threading.current_thread() is threading.main_thread():
                    sw.died(f"{transport} action batch (the rest of the batch was not run)")
        if transport == "rest":  # one thread per caller: each has its own action budget
            threads = [threading.Thread(target=run_queue, args=(q,)) for q in queues]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            if not sw.alive():
                sw.died("rest action batch (the rest of the batch was not run)")
        else:
            run_queue([i for batch in itertools.zip_longest(*queues) for i in batch if i is not None])
        for ws in sw.ws.values():
            if ws:
                ws.close()
        sw.ws = {}
        print(f"  actions over {transport}: {sw.cases - n0} cases in {time.time() - t0:.0f} s", file=sys.stderr)


def concrete(sw, pattern, who):
    subst = {"{id}": None, "{ext}": "1001", "{queue}": "support", "{member}": "1001", "{op}": "pause",
             "{number}": "1001", "{extension}": "1001", "{action}": "hangup"}
    path = pattern
    for k, v in subst.items():
        path = path.replace(k, v if v is not None else "{id}")
    if "{id}" in path:
        kind = "user" if "/users/" in path else "group" if "/groups/" in path else \
            "contact" if "contacts/" in path else "key" if "api-keys/" in path else None
        path = path.replace("{id}", str(sw.ids.get(kind, 1)))
    return re.sub(r"\{[a-z_]+\*?\}", "zz", path)


def run_routes(sw):
    st, doc, _, _ = sw.call(sw.admin, "GET", "/api/openapi.json")
    routes = [(m.upper(), p) for p, ops in doc["paths"].items() for m in ops]
    for method, pattern in routes:
        key = f"{method} {pattern}"
        if key in SKIP_ROUTES:
            continue
        has_body = method in ("POST", "PUT", "PATCH")
        base, fields, action = ROUTES.get(key, ({}, [], None)) if has_body else ({}, [], None)
        for who in list(sw.callers):
            who = next(c for c in sw.callers if c.name == who.name)
            path = concrete(sw, pattern, who)
            variants = []
            lean = who.name != "admin"  # others are refused by role or scope before the body is read
            if has_body:
                for f in fields[:1] if lean else fields:
                    for kind, v in wrong_values(f)[-3:] if lean else [w for w in wrong_values(f) if w[0] != "null"]:
                        b = dict(base)
                        if v is MISSING and f not in base:
                            continue  # the baseline itself
                        if v is MISSING:
                            b.pop(f, None)
                        else:
                            b[f] = v
                        variants.append((kind, f, path, json.dumps(b)))
                variants.append(("unknown", "zz_unknown", path, json.dumps(dict(base, zz_unknown="x"))))
                for raw in ("{",) if lean else ("[]", "{", '"' + BIG + '"', "\x00\x01"):
                    variants.append(("body", "body", path, raw))
            if "{" in pattern:
                for seg in HOSTILE_SEGMENTS[:2] if lean else HOSTILE_SEGMENTS if has_body else HOSTILE_SEGMENTS[:4]:
                    p2 = re.sub(r"\{[a-z_]+\*?\}", seg, pattern, count=1)
                    p2 = concrete(sw, p2, who)
                    variants.append(("path", "path", p2, json.dumps(base) if has_body else None))
            if who.scope is not None and not who.key and ("{ext}" in pattern or "{queue}" in pattern):
                p2 = concrete(sw, pattern.replace("{ext}", "1005").replace("{queue}", "sales"), who)
                variants.append(("foreign-path", "path", p2, json.dumps(base) if has_body else None))
            if pattern == "/api/calls/{id}/hangup":
                variants.append(("absent-path", "path", "/api/calls/nope-123/hangup", None))
                if who.scope is not None and not who.key:
                    cid, _ = sw.foreign_call(who.scope)
                    if cid:
                        variants.append(("foreign-path", "path", f"/api/calls/{cid}/hangup", None))
            for kind, field, p, raw in variants:
                case = f"rest {who.name} {method} {pattern} {field}={kind}"
                try:
                    st, js, _, _ = sw.call(who, method, p, raw=raw)
                except ServerDied:
                    sw.died(case)
                    continue
                typed_kind = kind if kind in TYPED and method != "DELETE" else "other"
                if kind == "foreign-path" and who.scope is not None and who.name != "admin" and 200 <= st < 300:
                    sw.fail(case, f"out-of-scope path accepted ({st})")
                if kind == "body" and 200 <= st < 300 and raw != "[]":
                    sw.fail(case, f"malformed body accepted ({st})")
                if kind == "path" and ".." in p and 200 <= st < 300:
                    sw.fail(case, f"traversal path accepted ({st})")
                if kind == "absent-path" and st not in (404, 403):
                    sw.fail(case, f"missing call: {st}, want 404")
                sw.check(case, who, action, st, js, typed_kind if st != 403 else "other", field,
                         route="known" if key in ROUTES else "generic")


def run_ws_frames(sw):
    for i, frame in enumerate(WS_FRAMES_UNAUTHED * 3):
        case = f"ws unauthenticated frame {frame[:50]!r}"
        try:
            ws = WS(sw.s.port)
            ws.send_text(frame.encode())
            try:
                ws.recv(5)  # an error frame, auth_invalid, or the close
            except EOFError:
                pass
            except (TimeoutError, socket.timeout):
                sw.fail(case, "neither an answer nor a close within 5 s")
            ws.close()
        except OSError:
            if not sw.alive():
                sw.died(case)
    who = sw.callers[1]
    for frame in WS_FRAMES_AUTHED * 2:
        case = f"ws authenticated frame {frame[:50]!r}"
        try:
            ws = sw.ws_login(who)
            ws.send_text(frame.encode())
            ws.send({"type": "ping"})
            try:
                # An action is answered asynchronously (after the ping's pong): wait for its answer.
                want = ("error", "action_result") if '"action"' in frame else ("error", "action_result", "pong")
                ws.until(lambda m: m.get("type") in want, 5)
            except EOFError:
                pass
            except (TimeoutError, socket.timeout):
                sw.fail(case, "no answer within 5 s")
            ws.close()
        except (OSError, EOFError, TimeoutError):
            if not sw.alive():
                sw.died(case)
    # One raw invalid UTF-8 text frame.
    try:
        ws = WS(sw.s.port)
        ws.send_text(b"\xff\xfe{\"type\":\"auth\"}")
        try:
            ws.recv(5)
        except (EOFError, TimeoutError, socket.timeout):
            pass
        ws.close()
    except OSError:
        if not sw.alive():
            sw.died("ws invalid utf-8")


def run_login(sw):
    """Last: failed logins lock the account and the IP (tokens issued earlier keep working)."""
    base = {"login": "nobody-here", "password": "wrong-password-1"}
    anon = Caller("anonymous", None, tokens=["x"])
    anon.headers = lambda limited=False: {}
    for f in ("login", "username", "password"):
        for kind, v in wrong_values(f) + [("unknown", MISSING)]:
            b = dict(base)
            if kind == "unknown":
                b["zz_unknown"] = "x"
            elif v is MISSING:
                b.pop(f, None)
            else:
                b[f] = v
            case = f"rest anonymous POST /api/auth/login {f}={kind}"
            try:
                st, js, _, _ = sw.call(anon, "POST", "/api/auth/login", b)
            except ServerDied:
                sw.died(case)
                continue
            if 200 <= st < 300:
                sw.fail(case, f"login accepted ({st})")
            sw.check(case, anon, None, st, js, "other", f)
    if anon.conn:
        anon.conn.close()


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
