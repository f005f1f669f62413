#!/usr/bin/env python3
"""Issue #25: the upstream product's REST request shapes (../shared/reference/opdesk-upstream.md)
replayed against the real binary (`opdesk serve --demo`: built-in simulator, SQLite in a temp
dir, random port), each response validated against the upstream shape (field names and types).

Covers: the call log in the upstream shape with rows from simulated calls (and OpDesk's own shape
on /api/calls/history), the journey (scoped: out of scope is 404), pause reasons CRUD (admin-only
writes, system reasons undeletable), agent login/status/logout reflected in the live queue state,
an API key with analytics:read, analytics KPIs, notifications, settings lists, the AMI capture,
the documented 501s and openapi.yaml. Run: upstream_rest_test.py /path/to/opdesk
"""
import json, os, sys, time, unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_test import Server, ADMIN_PW  # noqa: E402  (same start-up as api_integration)

S, I, B, N, L, D, F = str, int, bool, type(None), list, dict, float
NUM = (int, float)

CALL_RECORD = {"calldate": S, "src": S, "dst": S, "phone_number": S, "customer_name": S, "duration": I,
               "talk": I, "disposition": S, "status": S, "QoS": S, "extension": S, "call_type": S,
               "recording_path": S, "recording_file": S, "app": S, "call_journey_count": I, "linkedid": S,
               "uniqueid": S, "is_supervision": B, "supervision": (D, N)}
KPIS = {"total_calls": I, "answered_calls": I, "abandoned_calls": I, "short_abandoned": I, "sla_met_calls": I,
        "sum_wait_secs": I, "sum_billsec": I, "sla_pct": NUM, "abandonment_rate": NUM, "short_abandon_rate": NUM,
        "aht_secs": NUM, "avg_wait_secs": NUM, "fcr_pct": NUM, "outbound": D, "combined": D}
REASON = {"id": I, "code": S, "label": S, "productive": B, "color": S, "sort_order": I, "is_active": B, "is_system": B}


class UpstreamRestTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server(speed="20", seed="25")
        cls.admin = cls.s.login("admin", ADMIN_PW)
        # An agent on 1020 whose group gives it the login queue "sales" (1020 is no member).
        st, ag, _, _ = cls.s.req("POST", "/api/settings/users", {
            "username": "agent20", "password": "agent-pw-20202", "role": "agent", "extension": "1020"}, cls.admin)
        assert st == 201, ag
        st, g, _, _ = cls.s.req("POST", "/api/settings/groups", {
            "name": "billing-team", "agent_extensions": ["1020"], "queue_extensions": ["sales"]}, cls.admin)
        assert st in (200, 201), g
        cls.agent = cls.s.login("1020", "agent-pw-20202")
        # An agent whose extension takes part in no call: every call is out of its scope.
        st, lone, _, _ = cls.s.req("POST", "/api/settings/users", {
            "username": "lonely", "password": "lonely-pw-1999", "role": "agent", "extension": "1999"}, cls.admin)
        assert st == 201, lone
        cls.lonely = cls.s.login("lonely", "lonely-pw-1999")

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def shape(self, obj, spec, where=""):
        self.assertIsInstance(obj, dict, where)
        for k, t in spec.items():
            self.assertIn(k, obj, f"{where}: missing {k} in {obj}")
            self.assertIsInstance(obj[k], t, f"{where}.{k} = {obj[k]!r}")

    def get(self, path, tok=None, want=200, **kw):
        st, js, h, text = self.s.req("GET", path, token=tok or self.admin, **kw)
        self.assertEqual(st, want, (path, text[:300]))
        return js

    def calls(self, minimum=1, timeout=120):
        end = time.time() + timeout
        while time.time() < end:
            js = self.get("/api/call-log?limit=500")
            if len(js["calls"]) >= minimum:
                return js
            time.sleep(1)
        self.fail("no simulated call reached the call log")

    # --- item 3: call log and journey --------------------------------------------------------

    def test_call_log_upstream_shape_with_simulated_calls(self):
        js = self.calls(3)
        self.shape(js, {"calls": L, "total": I})
        self.assertGreaterEqual(js["total"], len(js["calls"]))
        for c in js["calls"]:
            self.shape(c, CALL_RECORD, "call")
            self.assertIn(c["call_type"], ("IN", "OUT", "INTERNAL", "UNKNOWN"))
            self.assertIn(c["app"], ("queue", "ivr", "direct"))
            self.assertIn(c["status"], ("ANSWERED", "NO_ANSWER", "BUSY", "FAILURE", "ABANDONED", "CANCELED",
                                        "DROPPED", "OUT_OF_REACH"))
            self.assertRegex(c["calldate"], r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
            self.assertGreaterEqual(c["call_journey_count"], 1)
            self.assertLessEqual(c["talk"], c["duration"])
        # the upstream client's own requests: a day window, and date_from/date_to + search
        today = js["calls"][0]["calldate"][:10]
        day = self.get(f"/api/call-log?date={today}&limit=1000")
        self.assertTrue(day["calls"])
        self.assertTrue(all(c["calldate"].startswith(today) for c in day["calls"]))
        one = js["calls"][0]
        found = self.get(f"/api/call-log?limit=500&date_from={today}&date_to={today}&search={one['linkedid']}")
        self.assertIn(one["linkedid"], [c["linkedid"] for c in found["calls"]])
        self.assertEqual(self.get("/api/call-log?limit=2")["calls"].__len__(), min(2, js["total"]))
        # OpDesk's richer shape has its own path (and format=opdesk)
        own = self.get("/api/calls/history?limit=5")
        self.shape(own, {"items": L, "next_cursor": (S, N), "total": I, "total_exact": B})
        self.assertEqual(set(self.get("/api/call-log?format=opdesk&limit=1")), {"items", "next_cursor", "total", "total_exact"})
        st, err, _, _ = self.s.req("GET", "/api/call-log?limit=abc", token=self.admin)
        self.assertEqual((st, err["error"]["field"]), (400, "limit"))
        st, err, _, _ = self.s.req("GET", "/api/call-log?date=2026-13-01", token=self.admin)
        self.assertEqual((st, err["error"]["field"]), (400, "date"))
        # a user sees only calls of its scope: none here
        self.assertEqual(self.get("/api/call-log?limit=50", self.lonely)["calls"], [])

    def test_journey_upstream_shape_and_scope(self):
        js = self.calls(1)
        c = max(js["calls"], key=lambda x: x["call_journey_count"])
        j = self.get(f"/api/call-log/journey?linkedid={c['linkedid']}")
        self.shape(j, {"journey": L})
        events = j["journey"]
        self.assertGreaterEqual(len(events), 2)
        for e in events:
            self.shape(e, {"event": S, "time": S})
            self.assertRegex(e["time"], r"^\d\d:\d\d:\d\d$")
            self.assertIn(e["event"], ("INBOUND", "OUTBOUND", "QUEUE_ENTER", "RING", "ANSWER", "NO_ANSWER",
                                       "TRANSFER", "HANGUP"))
            for k in ("agent", "queue", "from_number", "to_number", "reason"):
                if k in e:
                    self.assertIsInstance(e[k], S)
        self.assertIn(events[0]["event"], ("INBOUND", "OUTBOUND"))
        self.assertEqual(events[-1]["event"], "HANGUP")
        self.assertTrue(all(isinstance(e["duration"], I) and e["duration"] >= 0 for e in events[:-1]))
        # unlike upstream: scope-checked
        st, err, _, _ = self.s.req("GET", f"/api/call-log/journey?linkedid={c['linkedid']}", token=self.lonely)
        self.assertEqual(st, 404, err)
        st, err, _, _ = self.s.req("GET", "/api/call-log/journey", token=self.admin)
        self.assertEqual((st, err["error"]["field"]), (400, "linkedid"))

    # --- item 6: API key scopes -----------------------------------------------------------------

    def test_api_key_with_upstream_scopes(self):
        st, perms, _, _ = self.s.req("GET", "/api/api-keys/permissions", token=self.admin)
        self.assertEqual(sorted(perms["permissions"]), ["analytics:read", "calls:read", "calls:write", "cdr:read"])
        st, k, _, _ = self.s.req("POST", "/api/api-keys", {"name": "bi", "scopes": ["analytics:read"]}, self.admin)
        self.assertEqual(st, 201, k)
        key = {"X-API-Key": k["key"]}
        st, ov, _, _ = self.s.req("GET", "/api/analytics/overview", headers=key)
        self.assertEqual(st, 200, ov)
        self.shape(ov, {"period": D, "current": D, "prev_period": D})
        self.assertEqual(self.s.req("GET", "/api/call-log", headers=key)[0], 403)  # no cdr:read
        st, k2, _, _ = self.s.req("POST", "/api/api-keys", {"name": "all", "scopes": ["calls:read", "calls:write", "cdr:read", "analytics:read"]}, self.admin)
        self.assertEqual(st, 201, k2)
        self.assertEqual(self.s.req("GET", "/api/call-log?limit=1", headers={"X-API-Key": k2["key"]})[0], 200)

    # --- analytics --------------------------------------------------------------------------------

    def test_analytics_summary_kpis_from_the_call_log(self):
        js = self.calls(3)
        today = js["calls"][0]["calldate"][:10]
        ov = self.get(f"/api/analytics/overview?date_from={today}&date_to={today}")
        self.assertEqual(ov["period"], {"from": today, "to": today})
        for k in ("current", "prev_period"):
            self.shape(ov[k], KPIS, k)
            self.shape(ov[k]["outbound"], {"total_calls": I, "answered_calls": I, "failed_calls": I, "no_answer_calls": I,
                                           "busy_calls": I, "aht_secs": NUM, "answer_rate": NUM, "sum_billsec": I})
            self.shape(ov[k]["combined"], {"total_calls": I, "answered_calls": I, "aht_secs": NUM})
        cur = ov["current"]
        self.assertGreaterEqual(cur["combined"]["total_calls"], 1)
        self.assertEqual(cur["answered_calls"] + cur["abandoned_calls"], cur["total_calls"])
        tr = self.get(f"/api/analytics/trend?date_from={today}&date_to={today}")
        self.assertEqual([t["date"] for t in tr["trend"]], [today])
        self.shape(tr["trend"][0], {"date": S, "total_calls": I, "answered_calls": I, "abandoned_calls": I,
                                    "outbound_total": I, "outbound_answered": I})
        hm = self.get("/api/analytics/heatmap")
        self.assertEqual((len(hm["matrix"]), len(hm["matrix"][0]), len(hm["abandoned_matrix"])), (7, 24, 7))
        self.shape(hm["labels"], {"days": L, "hours": L})
        for q in self.get("/api/analytics/queue-performance")["queues"]:
            self.shape(q, {"queue_extension": S, "queue_name": S, "total_calls": I, "answered_calls": I,
                           "abandoned_calls": I, "sla_pct": NUM, "aht_secs": NUM, "avg_wait_secs": NUM, "peak_hour": I})
        for a in self.get("/api/analytics/agent-performance")["agents"]:
            self.shape(a, {"rank": I, "agent_extension": S, "agent_name": S, "total_calls": I, "answered_calls": I,
                           "inbound_calls": I, "outbound_calls": I, "aht_secs": NUM, "sla_contribution_pct": NUM,
                           "daily_trend": L})
            self.assertEqual(len(a["daily_trend"]), 7)
        dd = self.get("/api/analytics/drilldown?page=1&page_size=5")
        self.shape(dd, {"calls": L, "total": I, "page": I, "page_size": I})
        self.assertLessEqual(len(dd["calls"]), 5)
        for c in dd["calls"]:
            self.shape(c, {"calldate": S, "src": S, "dst": S, "queue_extension": S, "agent_extension": S, "duration": I,
                           "talk": I, "disposition": S, "status": S, "wait_secs": I, "sla_met": B, "linkedid": S,
                           "direction": S})
        st, _, h, text = self.s.req("GET", "/api/analytics/export?format=csv", token=self.admin)
        self.assertEqual(st, 200)
        self.assertTrue(text.lstrip("\ufeff").startswith("Date,Src,Queue,Agent"))
        self.assertEqual(self.s.req("GET", "/api/analytics/export?format=xlsx", token=self.admin)[0], 501)
        self.assertEqual(self.s.req("GET", "/api/analytics/overview", token=self.agent)[0], 403)  # agents: 403 as upstream
        self.assertEqual(self.s.req("GET", "/api/analytics/drilldown?direction=SIDEWAYS", token=self.admin)[1]["error"]["field"], "direction")
        st, _, _, _ = self.s.req("POST", "/api/analytics/settings", {"sla_default_secs": 30, "sla_thresholds": {"support": 15}}, self.admin)
        self.assertEqual(st, 200)
        self.assertEqual(self.get("/api/analytics/settings"), {"sla_thresholds": {"support": 15}, "sla_default_secs": 30,
                                                               "fcr_window_days": 7, "short_abandon_secs": 5})

    # --- pause reasons + agent self-service -----------------------------------------------------

    def test_pause_reasons_crud(self):
        rs = self.get("/api/pause-reasons")["reasons"]
        for r in rs:
            self.shape(r, REASON)
        self.assertTrue({"break", "lunch", "meeting", "training"} <= {r["code"] for r in rs})
        st, js, _, _ = self.s.req("POST", "/api/pause-reasons", {"code": "coaching", "label": "Coaching", "productive": True, "color": "#112233"}, self.agent)
        self.assertEqual(st, 403)
        st, js, _, _ = self.s.req("POST", "/api/pause-reasons", {"code": "coaching", "label": "Coaching", "productive": True, "color": "#112233"}, self.admin)
        self.assertEqual(st, 200, js)
        self.shape(js, {"ok": B, "id": I})
        rid = js["id"]
        st, dup, _, _ = self.s.req("POST", "/api/pause-reasons", {"code": "coaching", "label": "Again"}, self.admin)
        self.assertEqual((st, dup["error"]["field"]), (409, "code"))
        st, bad, _, _ = self.s.req("POST", "/api/pause-reasons", {"code": "bad code!", "label": "x"}, self.admin)
        self.assertEqual((st, bad["error"]["field"]), (400, "code"))
        st, bad, _, _ = self.s.req("POST", "/api/pause-reasons", {"code": "x1", "label": "x", "colour": "#000000"}, self.admin)
        self.assertEqual((st, bad["error"]["code"], bad["error"]["field"]), (400, "request.field.unknown", "colour"))
        st, js, _, _ = self.s.req("PATCH", f"/api/pause-reasons/{rid}", {"label": "1:1 coaching", "is_active": False}, self.admin)
        self.assertEqual((st, js), (200, {"ok": True}))
        st, js, _, _ = self.s.req("PATCH", f"/api/pause-reasons/{rid}", {"code": "other"}, self.admin)
        self.assertEqual((st, js["error"]["field"]), (400, "code"))
        mine = [r for r in self.get("/api/pause-reasons")["reasons"] if r["id"] == rid][0]
        self.assertEqual((mine["label"], mine["is_active"], mine["productive"], mine["is_system"]), ("1:1 coaching", False, True, False))
        self.assertNotIn(rid, [r["id"] for r in self.get("/api/pause-reasons", self.agent)["reasons"]])  # inactive hidden
        system = [r for r in rs if r["is_system"]][0]
        st, js, _, _ = self.s.req("DELETE", f"/api/pause-reasons/{system['id']}", token=self.admin)
        self.assertEqual(st, 400, js)
        self.assertEqual(self.s.req("DELETE", f"/api/pause-reasons/{rid}", token=self.agent)[0], 403)
        self.assertEqual(self.s.req("DELETE", f"/api/pause-reasons/{rid}", token=self.admin)[0], 200)
        self.assertEqual(self.s.req("DELETE", f"/api/pause-reasons/{rid}", token=self.admin)[0], 404)

    def member(self, iface="PJSIP/1020", queue="sales"):
        st = self.get("/api/state")
        q = [q for q in st["queues"] if q["name"] == queue][0]
        return next((m for m in q["members"] if m["interface"] == iface), None)

    def wait_member(self, pred, what, timeout=30):
        end = time.time() + timeout
        while time.time() < end:
            m = self.member()
            if pred(m):
                return m
            time.sleep(0.3)
        self.fail("timed out waiting for " + what)

    def test_agent_login_status_logout_reach_the_queue(self):
        st, js, _, _ = self.s.req("POST", "/api/agent/login", {"ready": False}, self.agent)
        self.assertEqual(st, 200, js)
        self.assertEqual(js, {"ok": True, "extension": "1020", "queues": ["sales"], "ready": False})
        self.wait_member(lambda m: m and m["paused"], "1020 in sales, paused")
        st, js, _, _ = self.s.req("POST", "/api/agent/status", {"ready": True}, self.agent)
        self.assertEqual((st, js), (200, {"ok": True, "extension": "1020", "ready": True, "reason_code": None}))
        self.wait_member(lambda m: m and not m["paused"], "1020 ready")
        st, js, _, _ = self.s.req("POST", "/api/agent/status", {"ready": False, "reason_code": "lunch"}, self.agent)
        self.assertEqual(st, 200, js)
        m = self.wait_member(lambda m: m and m["paused"], "1020 on lunch")
        self.assertEqual(m["reason"], "lunch")
        st, js, _, _ = self.s.req("POST", "/api/agent/status", {"ready": False, "reason_code": "nope"}, self.agent)
        self.assertEqual((st, js["error"]["field"]), (400, "reason_code"))
        st, js, _, _ = self.s.req("POST", "/api/agent/status", {"reason_code": "lunch"}, self.agent)
        self.assertEqual((st, js["error"]["field"]), (400, "ready"))
        st, js, _, _ = self.s.req("POST", "/api/agent/logout", token=self.agent)
        self.assertEqual((st, js), (200, {"ok": True, "extension": "1020", "queues": ["sales"]}))
        self.wait_member(lambda m: m is None, "1020 out of sales")
        # every step is in the audit log, under the agent's name
        acts = {e["action"] for e in self.get("/api/audit?user=agent20&limit=100")["items"]}
        self.assertTrue({"action.queue_add", "action.queue_unpause", "action.queue_pause", "action.queue_remove"} <= acts, acts)
        # no group with queues → a clear 400
        st, js, _, _ = self.s.req("POST", "/api/agent/login", {}, self.lonely)
        self.assertEqual((st, js["error"]["field"]), (400, "queues"))

    # --- item 5: the other routes the upstream client calls --------------------------------------

    def test_notifications_settings_and_feature_routes(self):
        n = self.get("/api/call-notifications?status=new&limit=20", self.agent)
        self.shape(n, {"notifications": L, "total": I})
        js = self.calls(1)
        missed = next((c for c in js["calls"] if c["status"] != "ANSWERED" and c["call_type"] != "OUT" and c["extension"]), None)
        if missed:
            ext = missed["extension"]
            st, u, _, _ = self.s.req("POST", "/api/settings/users", {"username": "n" + ext, "password": "notify-pw-" + ext,
                                                                     "role": "agent", "extension": ext}, self.admin)
            if st == 201:
                tok = self.s.login("n" + ext, "notify-pw-" + ext)
                ns = self.get("/api/call-notifications", tok)["notifications"]
                for x in ns:
                    self.shape(x, {"id": S, "extension": S, "caller_from": S, "queue": (S, N), "status_flag": S,
                                   "event_time": S, "call_id": S, "reason": S})
                if ns:
                    st, r, _, _ = self.s.req("PATCH", f"/api/call-notifications/{ns[0]['id']}", {"status_flag": "read"}, tok)
                    self.assertEqual((st, r), (200, {"ok": True, "id": ns[0]["id"], "status_flag": "read"}))
                    self.assertNotIn(ns[0]["id"], [x["id"] for x in self.get("/api/call-notifications?status=new", tok)["notifications"]])
        st, r, _, _ = self.s.req("PATCH", "/api/call-notifications/nope", {"status_flag": "bogus"}, self.agent)
        self.assertEqual((st, r["error"]["field"]), (400, "status_flag"))

        agents = self.get("/api/settings/agents")["agents"]
        self.assertGreaterEqual(len(agents), 20)
        self.shape(agents[0], {"extension": S, "name": S})
        self.assertEqual([a["extension"] for a in self.get("/api/settings/agents", self.agent)["agents"]], ["1020"])
        queues = self.get("/api/settings/queues")["queues"]
        self.assertIn("sales", [q["queue_name"] for q in queues])
        self.shape(queues[0], {"extension": S, "queue_name": S})
        w = self.get("/api/settings/extensions/webrtc")["extensions"]
        self.shape(w[0], {"extension": S, "name": S, "webrtc": S})
        self.assertTrue({x["webrtc"] for x in w} <= {"yes", "no"})
        cred = self.get("/api/settings/extensions/1020/credentials")
        self.assertEqual((cred["username"], cred["password"]), ("1020", ""))
        self.assertEqual(self.s.req("GET", "/api/settings/extensions/1020/credentials", token=self.agent)[0], 403)
        self.assertEqual(self.s.req("PUT", "/api/settings/extensions/1020/webrtc", {"enabled": True}, self.admin)[0], 501)
        st, _, _, _ = self.s.req("PUT", "/api/settings", {"WEBRTC_PBX_SERVER": "wss://pbx.example/ws"}, self.admin)
        if st == 200:
            self.assertEqual(self.get("/api/settings/WEBRTC_PBX_SERVER"), {"success": True, "key": "WEBRTC_PBX_SERVER", "value": "wss://pbx.example/ws"})
        self.assertEqual(self.s.req("GET", "/api/settings/NO_SUCH_KEY", token=self.admin)[0], 404)
        self.assertEqual(self.s.req("GET", "/api/settings/users", token=self.admin)[0], 200)  # not shadowed

        self.shape(self.get("/api/qos/status", self.agent), {"enabled": B, "pbx": S})
        self.shape(self.get("/api/recording/status"), {"enabled": B, "format": S, "mixed_dir": S})
        self.shape(self.get("/api/sip-tls/status"), {"enabled": B, "domain": S, "port": I})
        self.shape(self.get("/api/mobile-wake/status"), {"enabled": B, "wait_seconds": I})
        self.assertEqual(self.get("/api/push/vapid-public-key", tok="x"), {"enabled": False, "public_key": None})
        for path in ("/api/qos/enable", "/api/qos/disable", "/api/recording/enable", "/api/sip-tls/enable",
                     "/api/sip-tls/disable", "/api/mobile-wake/enable", "/api/push/web-resubscribe", "/api/device-tokens"):
            st, err, _, _ = self.s.req("POST", path, {}, self.admin)
            self.assertEqual((st, err["error"]["code"]), (501, "feature.not_supported"), path)
            self.assertTrue(err["error"]["message"], path)
        self.assertEqual(self.s.req("POST", "/api/sip-tls/enable", {}, self.agent)[0], 403)

    def test_ami_capture_is_off_by_default_and_admin_only(self):
        self.assertEqual(self.get("/api/logs/ami"), {"enabled": False})
        self.assertEqual(self.get("/api/logs")["lines"], [])
        self.assertEqual(self.s.req("GET", "/api/logs", token=self.agent)[0], 403)
        self.assertEqual(self.s.req("POST", "/api/logs/ami", {"enabled": True}, self.agent)[0], 403)
        st, js, _, _ = self.s.req("POST", "/api/logs/ami", {"enabled": True}, self.admin)
        self.assertEqual((st, js), (200, {"enabled": True}))
        end, lines = time.time() + 30, []
        while time.time() < end and not lines:
            lines = self.get("/api/logs")["lines"]
            time.sleep(0.5)
        self.assertTrue(lines, "no AMI event captured")
        for l in lines[:20]:
            self.shape(l, {"seq": I, "event": S, "ts": NUM, "summary": S, "fields": D})
        names = self.get("/api/logs/events")["events"]
        self.assertIn(lines[0]["event"], names)
        last = lines[-1]["seq"]
        self.assertTrue(all(l["seq"] > last for l in self.get(f"/api/logs?since={last}")["lines"]))
        only = self.get(f"/api/logs?event={lines[0]['event']}")["lines"]
        self.assertTrue(only and all(l["event"] == lines[0]["event"] for l in only))
        self.assertEqual(self.s.req("POST", "/api/logs/ami", {"enabled": False}, self.admin)[1], {"enabled": False})
        self.assertEqual(self.get("/api/logs")["lines"], [])
        sip = self.get("/api/logs/siptrace")
        self.assertEqual(sip["enabled"], False)
        self.assertEqual(self.s.req("POST", "/api/logs/siptrace", {"enabled": True}, self.admin)[0], 501)

    def test_openapi_yaml_is_public(self):
        st, doc, h, _ = self.s.req("GET", "/api/openapi.yaml")
        self.assertEqual(st, 200)
        self.assertIn("yaml", h["content-type"])
        for p in ("/api/call-log", "/api/call-log/journey", "/api/pause-reasons", "/api/agent/login", "/api/analytics/overview"):
            self.assertIn(p, doc["paths"])


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
