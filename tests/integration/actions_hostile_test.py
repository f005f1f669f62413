#!/usr/bin/env python3
"""Hostile action requests against the real server (issue 18, items 1, 4, 5 and the low items of
the action path): `opdesk serve --demo` (built-in simulator, SQLite in a temp dir, random port),
driven over REST and WebSocket with the standard library only.

Covers: hangup with an unknown call_id (404, the process stays up), an out-of-scope call_id with
an in-scope target (403, the call stays up, nothing sent), oversize / unknown parameters (400
naming them, audited with a bounded row), wrong JSON types (400 naming the field on REST and an
answer on WS), Local/ and out-of-scope queue members, dnd off without DND (200 no-op), the REST
per-principal rate limit (429), audit rows for every attempt, and fail-closed auditing (the audit
table gone: 503 and nothing acted). The server helpers are api_test.py's.
Run: actions_hostile_test.py /path/to/opdesk
"""
import os, sqlite3, sys, time, unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_test import ADMIN_PW, WS, Server  # noqa: E402  (same directory)

SUP_EXTS = ["1001", "1002", "1003"]


class ActionsHostileTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server(speed="5", seed="5", env={"OPDESK_AMI_QUEUE_LOCAL_CONTEXTS": "from-queue"})
        cls.admin = cls.s.login("admin", ADMIN_PW)
        st, u, _, _ = cls.s.req("POST", "/api/settings/users", {
            "username": "hsup", "password": "hostile-sup-pw-1", "role": "supervisor", "extension": "1010",
            "allowed_extensions": SUP_EXTS, "allowed_queues": ["support"], "monitor_modes": ["listen"]}, cls.admin)
        assert st == 201, u
        cls.sup = cls.s.login("hsup", "hostile-sup-pw-1")

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def act(self, action, body, tok=None):
        return self.s.req("POST", f"/api/actions/{action}", body, tok or self.sup)

    def assert_error(self, resp, status, code=None, field=None):
        st, js, _, text = resp
        self.assertEqual(st, status, text)
        if code:
            self.assertEqual(js["error"]["code"], code, text)
        if field:
            self.assertEqual(js["error"].get("field"), field, text)

    def assert_alive(self):
        self.assertIsNone(self.s.proc.poll(), "the server process died")
        self.assertEqual(self.s.req("GET", "/health")[0], 200)

    def audit(self, action, user="hsup"):
        st, page, _, _ = self.s.req("GET", f"/api/audit?action={action}&user={user}&limit=200", token=self.admin)
        self.assertEqual(st, 200)
        return page["items"]

    def state(self):
        return self.s.req("GET", "/api/state", token=self.admin)[1]

    def ws(self, token):
        ws = WS(self.s.port)
        ws.send({"type": "auth", "token": token})
        ws.until(lambda m: m["type"] == "snapshot")
        return ws

    def ws_action(self, ws, n, action, **params):
        ws.send({"type": "action", "id": n, "action": action, **params})
        return ws.until(lambda m: m["type"] == "action_result" and m.get("id") == n)

    # ---- item 1: call_id is resolved and scope-checked on its own --------------------------------

    def test_hangup_with_an_unknown_call_id_is_404_and_the_server_survives(self):
        self.assert_error(self.act("hangup", {"target": "1001", "call_id": "nope"}), 404, "pbx.call.not_found", "call_id")
        self.assert_alive()
        self.assert_error(self.s.req("POST", "/api/calls/nope/hangup", None, self.sup), 404, "pbx.call.not_found")
        self.assert_error(self.s.req("POST", "/api/calls/nope/hangup", {"force": True}, self.sup), 400, "request.field.unknown", "force")
        ws = self.ws(self.sup)
        r = self.ws_action(ws, 1, "hangup", target="1001", call_id="nope")
        self.assertFalse(r["ok"])
        self.assertEqual(r["error"]["code"], "pbx.call.not_found")
        ws.close()
        self.assert_alive()
        self.assertTrue(any(i["result"] == "invalid" and "nope" in str(i["detail"]) for i in self.audit("action.hangup")))

    def out_of_scope_call(self):
        end = time.time() + 120
        while time.time() < end:
            for c in self.state()["calls"]:
                exts = {p.get("extension") for p in c["parties"] if p.get("extension")}
                if c["state"] == "up" and exts and not exts & set(SUP_EXTS + ["1010"]) and c.get("queue") != "support":
                    return c
            time.sleep(0.3)
        self.fail("no answered call outside the supervisor's scope appeared")

    def test_an_out_of_scope_call_id_is_403_and_the_call_stays_up(self):
        for _ in range(3):
            call = self.out_of_scope_call()
            resp = self.act("hangup", {"target": "1001", "call_id": call["id"]})
            self.assert_error(resp, 403, "access.scope.forbidden", "call_id")
            self.assert_error(self.act("hangup", {"call_id": call["id"]}), 403, "access.scope.forbidden")
            still = [c for c in self.state()["calls"] if c["id"] == call["id"]]
            if still and still[0]["state"] == "up":
                # Nothing was sent: a refused attempt has no "pending" row.
                rows = [i for i in self.audit("action.hangup") if i["target"] == "1001"]
                self.assertTrue(rows and all(i["result"] in ("denied", "invalid") for i in rows), rows)
                return
        self.fail("every candidate call ended on its own before it could be checked")

    # ---- item 4: bounded parameters, unknown parameters, audit -----------------------------------

    def test_oversize_and_unknown_parameters_are_400_and_audited_bounded(self):
        self.assert_error(self.act("hangup", {"target": "1001", "pad": "x" * 17408}), 400, "request.field.unknown", "pad")
        self.assert_error(self.act("hangup", {"target": "1" * 300}), 400, "request.field.invalid", "target")
        self.assert_error(self.act("hangup", {"target": "1001", "bogus": 1}), 400, "request.field.unknown", "bogus")
        ws = self.ws(self.sup)
        r = self.ws_action(ws, 1, "hangup", target="1001", bogus=True)
        self.assertEqual((r["ok"], r["error"]["code"]), (False, "request.field.unknown"))
        ws.close()
        rows = self.audit("action.hangup")
        pads = [i for i in rows if "pad" in i["detail"].get("params", {})]
        self.assertTrue(pads, "the refused 17 KB attempt has no audit row")
        self.assertLess(len(str(pads[0]["detail"])), 2048)
        longs = [i for i in rows if i["target"].startswith("1" * 100)]
        self.assertTrue(longs and all(len(i["target"]) <= 191 for i in longs), "the 300-character target has no bounded row")

    def test_wrong_json_types_are_400_naming_the_field_on_rest_and_ws(self):
        self.assert_error(self.act("dnd", {"extension": "1010", "enabled": "yes"}), 400, "request.field.invalid", "enabled")
        self.assert_error(self.s.req("POST", "/api/extensions/1010/dnd", {"enabled": "yes"}, self.sup), 400, None, "enabled")
        self.assert_error(self.act("queue_add", {"queue": "support", "extension": "1001", "paused": "yes"}),
                          400, "request.field.invalid", "paused")
        self.assert_error(self.s.req("POST", "/api/calls/transfer", {"destination": "1002", "attended": "yes"}, self.sup),
                          400, None, "attended")
        ws = self.ws(self.sup)
        r = self.ws_action(ws, 1, "queue_add", queue="support", extension="1001", paused="yes")
        self.assertEqual((r["ok"], r["error"]["code"]), (False, "request.field.invalid"))
        self.assertIn("paused", r["error"]["message"])
        ws.close()
        rows = self.audit("action.queue_add")
        self.assertTrue(any(i["result"] == "invalid" for i in rows), rows)

    def test_unknown_fields_in_admin_bodies_are_400(self):
        st, js, _, _ = self.s.req("POST", "/api/settings/users", {
            "username": "typo", "password": "typo-user-pw-12", "role": "supervisor",
            "allowed_agent_extensions": ["1001"]}, self.admin)
        self.assertEqual((st, js["error"]["code"], js["error"]["field"]), (400, "request.field.unknown", "allowed_agent_extensions"))
        st, js, _, _ = self.s.req("POST", "/api/settings/users", {
            "username": "typo", "password": "typo-user-pw-12", "is_active": "yes"}, self.admin)
        self.assertEqual((st, js["error"]["field"]), (400, "is_active"))
        st, js, _, _ = self.s.req("POST", "/api/settings/groups", {"name": "g", "agent_extension": ["1001"]}, self.admin)
        self.assertEqual((st, js["error"]["field"]), (400, "agent_extension"))
        st, js, _, _ = self.s.req("POST", "/api/settings/api-keys", {"name": "k", "scopes": ["calls:read"], "scope": "x"}, self.admin)
        self.assertEqual((st, js["error"]["field"]), (400, "scope"))
        self.assert_error(self.s.req("POST", "/api/extensions/1010/dnd", {"enabled": True, "extra": 1}, self.sup), 400,
                          "request.field.unknown", "extra")
        self.assert_error(self.s.req("POST", "/api/auth/login", {"login": "hsup", "password": "x", "remember": True}), 400,
                          "request.field.unknown", "remember")
        st, crm, _, _ = self.s.req("GET", "/api/settings/crm", token=self.admin)
        self.assertEqual(st, 200)
        crm.pop("field_catalog", None)  # what the web client sends back: the view minus the catalog
        st, js, _, text = self.s.req("PUT", "/api/settings/crm", crm, self.admin)
        self.assertEqual(st, 200, text)
        st, js, _, _ = self.s.req("PUT", "/api/settings/crm", {"enabled": False, "sever_url": "http://x"}, self.admin)
        self.assertEqual((st, js["error"]["field"]), (400, "sever_url"))
        st, js, _, _ = self.s.req("POST", "/api/contacts", {"name": "A", "phone": "0612", "mail": "a@b"}, self.admin)
        self.assertEqual((st, js["error"]["field"]), (400, "mail"))
        st, js, _, _ = self.s.req("PUT", "/api/webrtc/credentials/1010", {"password": "sip-secret-1", "pw": "x"}, self.admin)
        self.assertEqual((st, js["error"]["field"]), (400, "pw"))
        # The upstream client's user fields are accepted as they are.
        st, js, _, _ = self.s.req("POST", "/api/settings/users", {
            "username": "upstreamish", "password": "upstream-pw-123", "name": None, "extension": None,
            "role": "supervisor", "monitor_modes": ["listen"], "group_ids": []}, self.admin)
        self.assertEqual(st, 201, js)

    # ---- item 5: queue members -------------------------------------------------------------------

    def test_queue_add_refuses_local_and_out_of_scope_members(self):
        for iface in ("Local/0044999@from-internal/n", "Local/s@any-context", "Local/1001@from-queue/n"):
            self.assert_error(self.act("queue_add", {"queue": "support", "interface": iface}), 403, None, "interface")
        self.assert_error(self.act("queue_add", {"queue": "support", "interface": "PJSIP/1012"}), 403, "access.scope.forbidden")
        # Admins: Local/ only in the configured contexts (OPDESK_AMI_QUEUE_LOCAL_CONTEXTS=from-queue).
        self.assert_error(self.act("queue_add", {"queue": "support", "interface": "Local/0044999@from-internal/n"}, self.admin),
                          403, "access.member.forbidden")
        self.assert_error(self.act("queue_add", {"queue": "support", "interface": "PJSIP/9999"}, self.admin), 404)
        rows = self.audit("action.queue_add")
        self.assertTrue(any(i["result"] == "denied" for i in rows), rows)

    def test_queue_member_conflicts_are_409_not_an_asterisk_refusal(self):
        q = [q for q in self.state()["queues"] if q["members"]][0]
        m = q["members"][0]
        self.assert_error(self.act("queue_add", {"queue": q["name"], "interface": m["interface"]}, self.admin),
                          409, "pbx.member.exists")
        static = [(q["name"], m["interface"]) for q in self.state()["queues"] for m in q["members"] if not m.get("dynamic", True)]
        if static:
            self.assert_error(self.act("queue_remove", {"queue": static[0][0], "interface": static[0][1]}, self.admin),
                              409, "pbx.member.static")
        st, js, _, _ = self.s.req("POST", "/api/crm/deliveries/prune", {"days": 1}, self.admin)
        self.assertEqual((st, js["error"]["field"]), (400, "days"))
        st, js, _, _ = self.s.req("POST", "/api/contacts", {"name": "A\r\nB", "phone": "0612"}, self.admin)
        self.assertEqual((st, js["error"]["field"]), (400, "name"))

    # ---- low items: dnd no-op, REST rate limit, fail-closed audit --------------------------------

    def test_dnd_off_on_an_extension_without_dnd_is_a_200_no_op(self):
        for _ in range(2):  # the second one is certainly without DND
            st, js, _, text = self.act("dnd", {"extension": "1013", "enabled": False}, self.admin)
            self.assertEqual(st, 200, text)
        self.assertIs(js["data"]["dnd"], False)
        rows = self.audit("action.dnd", "admin")
        self.assertIn("pending", [i["result"] for i in rows])
        self.assertEqual(rows[0]["result"], "ok")

    def test_rest_actions_are_rate_limited_per_principal(self):
        st, _, _, _ = self.s.req("POST", "/api/settings/users", {
            "username": "flood", "password": "flood-user-pw-1", "role": "agent", "extension": "1014"}, self.admin)
        self.assertEqual(st, 201)
        tok = self.s.login("flood", "flood-user-pw-1")
        seen = []
        for _ in range(40):
            st, js, h, _ = self.act("hangup", {"target": "1999"}, tok)
            seen.append(st)
            if st == 429:
                self.assertEqual(js["error"]["code"], "request.rate_limited")
                self.assertIn("retry-after", h)
                break
        self.assertIn(429, seen, seen)
        # Another principal has its own budget.
        self.assert_error(self.act("hangup", {"target": "1999"}, self.admin), 404)

    def test_an_action_that_cannot_be_audited_is_refused_with_503(self):
        db = os.path.join(self.s.dir, "opdesk.db")
        ext = "1015"

        def dnd_of():
            return [e for e in self.state()["extensions"] if e["extension"] == ext][0]["dnd"]
        self.act("dnd", {"extension": ext, "enabled": False}, self.admin)
        con = sqlite3.connect(db, timeout=30)
        con.execute("ALTER TABLE audit_log RENAME TO audit_log_away")
        con.commit()
        try:
            self.assert_error(self.act("dnd", {"extension": ext, "enabled": True}, self.admin), 503, "audit.unavailable")
            time.sleep(0.5)
            self.assertFalse(dnd_of(), "DND was set although the attempt could not be audited")
        finally:
            con.execute("ALTER TABLE audit_log_away RENAME TO audit_log")
            con.commit()
            con.close()
        st, _, _, text = self.act("dnd", {"extension": ext, "enabled": True}, self.admin)
        self.assertEqual(st, 200, text)
        self.act("dnd", {"extension": ext, "enabled": False}, self.admin)
        self.assert_alive()


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1])
