#!/usr/bin/env python3
"""CRM end to end (issue #9) through the real `opdesk serve --demo` binary and a real local HTTP
receiver (standard library only): configure the CRM over REST (bad config refused naming the
field, secrets write-only), the test endpoint shows the receiver's real answer, demo calls
arrive signed (HMAC verified here, as a CRM receiver would) with their Idempotency-Key, the
delivery log filters and pages, resend delivers again with the same key, a receiver outage is
retried, caller lookup falls back to local contacts, non-admins are refused on the server.
Run: crm_api_test.py /path/to/opdesk
"""
import hashlib, hmac, http.server, json, os, sys, threading, time, unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_test import ADMIN_PW, Server  # noqa: E402  (the same server harness as api_test.py)

SIGNING = "receiver-shared-secret"
API_KEY = "crm-api-key-123"


class Receiver:
    """A CRM stand-in: records every request; answers 503 while `down` is set."""

    def __init__(self):
        self.requests, self.lock, self.down = [], threading.Lock(), False
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                with outer.lock:
                    outer.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                           "body": body, "down": outer.down})
                status = 503 if outer.down else 200
                out = json.dumps({"received": True}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            do_PUT = do_POST

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def snapshot(self):
        with self.lock:
            return list(self.requests)

    def wait(self, pred, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = [r for r in self.snapshot() if pred(r)]
            if got:
                return got
            time.sleep(0.2)
        return []


def verify_signature(req):
    """The README's receiver recipe: HMAC-SHA256(secret, t + "." + raw body), hex, in v1."""
    parts = dict(p.split("=", 1) for p in req["headers"]["x-opdesk-signature"].split(","))
    expected = hmac.new(SIGNING.encode(), (parts["t"] + "." + req["body"]).encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


class CrmApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rx = Receiver()
        cls.s = Server()
        cls.admin = cls.s.login("admin", ADMIN_PW)
        cls.config = {"enabled": True, "server_url": "http://127.0.0.1:%d" % cls.rx.port,
                      "endpoint_path": "/crm/calls", "auth_type": "api_key", "api_key": API_KEY,
                      "api_key_header": "X-Crm-Key", "signing_secret": SIGNING, "allow_private": True,
                      "push_answered": True, "timeout": 5}
        st, js, _, _ = cls.s.req("PUT", "/api/settings/crm", cls.config, cls.admin)
        assert st == 200, (st, js)

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()
        cls.rx.httpd.shutdown()

    def put(self, body):
        return self.s.req("PUT", "/api/settings/crm", body, self.admin)

    def test_bad_config_is_refused_at_save_time_naming_the_field(self):
        cases = [({"server_url": "ftp://crm"}, "server_url"),
                 ({"server_url": "http://169.254.169.254/latest"}, "server_url"),
                 ({"auth_type": "bearer_token", "bearer_token": ""}, "bearer_token"),
                 ({"auth_type": "oauth2", "oauth2_client_id": "x", "oauth2_client_secret": "y",
                   "oauth2_token_url": "not a url"}, "oauth2_token_url"),
                 ({"sync_fields": ["caller", "nope"]}, "sync_fields"),
                 ({"timeout": 0}, "timeout")]
        for body, field in cases:
            st, js, _, _ = self.put(body)
            self.assertEqual(st, 400, body)
            self.assertEqual(js["error"]["field"], field, js)
        st, js, _, _ = self.s.req("GET", "/api/settings/crm", token=self.admin)
        self.assertEqual(js["server_url"], self.config["server_url"])  # nothing bad was stored

    def test_secrets_are_redacted_in_get_and_stars_keep_them(self):
        st, js, _, text = self.s.req("GET", "/api/settings/crm", token=self.admin)
        self.assertEqual(st, 200)
        self.assertEqual(js["api_key"], "***")
        self.assertEqual(js["signing_secret"], "***")
        self.assertNotIn(API_KEY, text)
        self.assertNotIn(SIGNING, text)
        self.assertIn("call_id", js["field_catalog"])
        st, js, _, _ = self.put({"api_key": "***", "signing_secret": "***"})
        self.assertEqual(st, 200)
        st, js, _, text = self.s.req("GET", "/api/crm/config", token=self.admin)  # upstream path
        self.assertNotIn(API_KEY, text)

    def test_test_endpoint_shows_the_receivers_real_answer(self):
        st, js, _, _ = self.s.req("POST", "/api/settings/crm/test", {}, self.admin)
        self.assertEqual(st, 200, js)
        self.assertTrue(js["success"], js)
        self.assertEqual(js["status_code"], 200)
        self.assertEqual(json.loads(js["body"]), {"received": True})
        self.assertGreaterEqual(js["latency_ms"], 0)
        got = self.rx.wait(lambda r: '"test":true' in r["body"])
        self.assertTrue(got)
        self.assertEqual(got[0]["headers"]["x-crm-key"], API_KEY)
        self.assertTrue(verify_signature(got[0]))
        # Unsaved values are tested as given: a port nobody listens on gives a transport error.
        st, js, _, _ = self.s.req("POST", "/api/crm/test", {"server_url": "http://127.0.0.1:1"}, self.admin)
        self.assertEqual(st, 200)
        self.assertFalse(js["data"]["success"])
        self.assertIsNone(js["data"]["status_code"])

    def test_demo_calls_arrive_signed_once_per_key_and_resend_repeats_the_key(self):
        ended = self.rx.wait(lambda r: r["path"] == "/crm/calls" and '"event":"ended"' in r["body"]
                             and not r["down"])
        self.assertTrue(ended, "no ended call reached the receiver")
        req = ended[0]
        body = json.loads(req["body"])
        self.assertTrue(verify_signature(req))
        key = hashlib.sha256((body["callId"] + "|ended").encode()).hexdigest()
        self.assertEqual(req["headers"]["idempotency-key"], key)
        self.assertIn(body["callType"], ("inbound", "outbound", "internal"))
        self.assertIn(body["status"], ("ANSWERED", "NO_ANSWER", "BUSY", "FAILURE", "ABANDONED", "CANCELED"))
        st, log, _, _ = self.s.req("GET", "/api/crm/deliveries?call=%s" % body["callId"], token=self.admin)
        self.assertEqual(st, 200)
        row = [d for d in log["items"] if d["event"] == "ended"][0]
        self.assertEqual(row["status"], "delivered")
        self.assertEqual(row["status_code"], 200)
        self.assertEqual(row["idempotency_key"], key)
        before = len([r for r in self.rx.snapshot() if r["headers"].get("idempotency-key") == key])
        st, js, _, _ = self.s.req("POST", "/api/crm/deliveries/resend", {"ids": [row["id"]]}, self.admin)
        self.assertEqual((st, js["resent"]), (202, 1))
        deadline = time.time() + 30
        while time.time() < deadline and len([r for r in self.rx.snapshot()
                                              if r["headers"].get("idempotency-key") == key]) == before:
            time.sleep(0.2)
        self.assertEqual(len([r for r in self.rx.snapshot() if r["headers"].get("idempotency-key") == key]), before + 1)
        st, page, _, _ = self.s.req("GET", "/api/crm/deliveries?status=delivered&limit=1", token=self.admin)
        self.assertEqual(len(page["items"]), 1)
        self.assertIsNotNone(page["next_cursor"])
        st, up, _, _ = self.s.req("GET", "/api/logs/deliveries?limit=2", token=self.admin)
        self.assertEqual(st, 200)
        self.assertIn("page", up)
        st, bad, _, _ = self.s.req("GET", "/api/crm/deliveries?status=nope", token=self.admin)
        self.assertEqual((st, bad["error"]["field"]), (400, "status"))

    def test_an_outage_is_retried_until_the_receiver_is_back(self):
        self.rx.wait(lambda r: '"event":"ended"' in r["body"])
        self.rx.down = True
        refused = self.rx.wait(lambda r: r["down"] and r["path"] == "/crm/calls", timeout=120)
        self.assertTrue(refused)
        key = refused[0]["headers"]["idempotency-key"]
        self.rx.down = False
        ok = self.rx.wait(lambda r: r["headers"].get("idempotency-key") == key and not r["down"], timeout=60)
        self.assertTrue(ok, "the refused delivery was not retried")
        st, js, _, _ = self.s.req("GET", "/api/status", token=self.admin)
        self.assertIn("crm", js.get("details", js))

    def test_lookup_uses_local_contacts_and_contacts_need_admin_to_write(self):
        st, c, _, _ = self.s.req("POST", "/api/crm/contacts", {"name": "Front Desk", "phone": "+1 (555) 010-9999"}, self.admin)
        self.assertEqual(st, 201, c)
        st, dup, _, _ = self.s.req("POST", "/api/contacts", {"name": "Other", "phone": "15550109999"}, self.admin)
        self.assertEqual(st, 409)
        st, ag, _, _ = self.s.req("POST", "/api/settings/users", {
            "username": "crmagent", "password": "agent-pw-12345", "role": "agent", "extension": "1007"}, self.admin)
        self.assertEqual(st, 201, ag)
        agent = self.s.login("crmagent", "agent-pw-12345")
        st, js, _, _ = self.s.req("GET", "/api/crm/lookup?number=%2B15550109999", token=agent)
        self.assertEqual(st, 200, js)
        self.assertEqual((js["name"], js["source"]), ("Front Desk", "contacts"))
        st, js, _, _ = self.s.req("GET", "/api/crm/contact?phone=15550100000", token=agent)
        self.assertEqual((st, js["name"]), (200, None))
        for method, path, body in [("GET", "/api/settings/crm", None), ("PUT", "/api/settings/crm", {}),
                                   ("POST", "/api/settings/crm/test", {}), ("GET", "/api/crm/deliveries", None),
                                   ("POST", "/api/crm/deliveries/resend", {"ids": [1]}),
                                   ("POST", "/api/crm/contacts", {"name": "x", "phone": "1"})]:
            st, js, _, _ = self.s.req(method, path, body, agent)
            self.assertEqual(st, 403, (method, path, js))
        st, _, _, _ = self.s.req("GET", "/api/crm/lookup?number=1")
        self.assertEqual(st, 401)
        st, js, _, _ = self.s.req("DELETE", "/api/crm/contacts/%d" % c["id"], token=self.admin)
        self.assertEqual(st, 200)
        st, js, _, _ = self.s.req("GET", "/api/crm/lookup?number=%2B15550109999", token=agent)
        self.assertIsNone(js["name"])

    def test_openapi_documents_the_crm_routes(self):
        st, js, _, _ = self.s.req("GET", "/api/openapi.json", token=self.admin)
        for path in ("/api/settings/crm", "/api/settings/crm/test", "/api/crm/deliveries",
                     "/api/crm/deliveries/resend", "/api/crm/lookup", "/api/crm/contacts/{id}"):
            self.assertIn(path, js["paths"])


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
