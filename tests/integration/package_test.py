"""The Debian package (issue #12), built with cpack from the test build directory (the binary
the test build already made; `make package` does the same from a Release build).

Checks with dpkg-deb: metadata and dependencies from dpkg-shlibdeps (-I), contents (-c), the
control files (-e: conffiles, maintainer scripts valid sh doing what they must), the systemd
unit's hardening (and `systemd-analyze verify` when available), then extracts the package
into a temp root (dpkg -x) and starts the extracted binary the way the unit does (same
arguments, a temp state directory as WorkingDirectory) and checks /health and the web UI.
systemd is not PID 1 here, so the unit itself is not started.

Run: package_test.py <cmake build dir> <source dir>
"""
import configparser, http.client, json, os, re, shlex, shutil, signal, subprocess, sys, tempfile, time, unittest

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build/test"
SOURCE = sys.argv[2] if len(sys.argv) > 2 else "."
DEB = None
WORK = tempfile.mkdtemp(prefix="opdesk-pkg-")


def sh(*args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def build_deb():
    """cpack from the build dir; the web UI is built first if it is missing."""
    if not os.path.exists(os.path.join(SOURCE, "web", "dist", "index.html")):
        npm = shutil.which("npm")
        if not npm:
            raise RuntimeError("web/dist is missing and npm is not installed (run: cd web && npm run build)")
        p = sh(npm, "run", "--silent", "build", cwd=os.path.join(SOURCE, "web"))
        if p.returncode:
            raise RuntimeError("web build failed:\n" + p.stdout + p.stderr)
    out = os.path.join(WORK, "cpack")
    p = sh("cpack", "-G", "DEB", "-B", out, cwd=BUILD, timeout=900)
    if p.returncode:
        raise RuntimeError("cpack failed:\n" + p.stdout + p.stderr)
    debs = [f for f in os.listdir(out) if f.endswith(".deb")]
    if len(debs) != 1:
        raise RuntimeError("cpack made %r" % debs)
    return os.path.join(out, debs[0])


class Package(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        global DEB
        DEB = build_deb()
        cls.root = os.path.join(WORK, "root")
        p = sh("dpkg", "-x", DEB, cls.root)
        assert p.returncode == 0, p.stderr
        cls.ctrl = os.path.join(WORK, "control")
        p = sh("dpkg-deb", "-e", DEB, cls.ctrl)
        assert p.returncode == 0, p.stderr

    def info(self):
        p = sh("dpkg-deb", "-f", DEB)
        self.assertEqual(p.returncode, 0, p.stderr)
        fields = {}
        for line in p.stdout.splitlines():
            if ": " in line and not line.startswith(" "):
                k, v = line.split(": ", 1)
                fields[k] = v
        return fields

    def test_metadata_and_dependencies_come_from_shlibdeps(self):
        f = self.info()
        self.assertEqual(f["Package"], "opdesk")
        deps = [d.strip().split(" ")[0] for d in f["Depends"].split(",")]
        # Libraries the binary links, found by dpkg-shlibdeps (not listed by hand).
        for lib in ("libc6", "libstdc++6", "libsqlite3-0", "libssl3", "libsodium23", "libsoci-core4.0"):
            self.assertIn(lib, deps)
        for tool in ("adduser", "procps"):  # postinst; ExecReload's /bin/kill
            self.assertIn(tool, deps)
        self.assertIn("Installed-Size", f)

    def test_contents_are_binary_web_ui_unit_config_and_docs(self):
        p = sh("dpkg-deb", "-c", DEB)
        self.assertEqual(p.returncode, 0, p.stderr)
        entries = {}
        for line in p.stdout.splitlines():
            parts = line.split()
            entries[parts[-1].lstrip(".")] = (parts[0], parts[1])
        self.assertEqual(entries["/usr/bin/opdesk"][0], "-rwxr-xr-x")
        self.assertIn("/usr/share/opdesk/web/index.html", entries)
        self.assertTrue(any(k.startswith("/usr/share/opdesk/web/assets/") for k in entries))
        self.assertIn("/lib/systemd/system/opdesk.service", entries)
        self.assertEqual(entries["/etc/opdesk/opdesk.toml"], ("-rw-r-----", "root/root"))
        self.assertIn("/usr/share/doc/opdesk/README.md", entries)
        self.assertFalse(any(k.startswith("/var/") for k in entries), "state is created by postinst, not shipped")
        with open(os.path.join(self.root, "etc/opdesk/opdesk.toml")) as f:
            conf = f.read()
        self.assertRegex(conf, r'\ndata_dir = "/var/lib/opdesk"')

    def test_conffile_and_maintainer_scripts(self):
        with open(os.path.join(self.ctrl, "conffiles")) as f:
            self.assertEqual(f.read().split(), ["/etc/opdesk/opdesk.toml"])
        scripts = {}
        for name in ("postinst", "prerm", "postrm"):
            path = os.path.join(self.ctrl, name)
            self.assertTrue(os.access(path, os.X_OK), name)
            self.assertEqual(sh("sh", "-n", path).returncode, 0, name)
            with open(path) as f:
                scripts[name] = f.read()
        post = scripts["postinst"]
        self.assertIn("adduser --system", post)
        self.assertIn("install -d -o opdesk -g opdesk -m 0750", post)
        self.assertRegex(post, r"opdesk backup .*opdesk-before-")
        self.assertIn("opdesk migrate", post)
        self.assertIn("Next steps", post)
        self.assertIn("opdesk setup", post)
        purge = scripts["postrm"].split("purge)", 1)[1].split(";;", 1)[0]
        self.assertIn("rm -rf /var/lib/opdesk", purge)
        self.assertIn("deluser --system", purge)
        self.assertNotIn("rm -rf", scripts["postrm"].split("remove)", 1)[1])  # remove keeps data

    def unit(self):
        cp = configparser.ConfigParser(strict=False, interpolation=None, empty_lines_in_values=False)
        cp.optionxform = str
        cp.read(os.path.join(self.root, "lib/systemd/system/opdesk.service"))
        return cp

    def test_unit_runs_as_opdesk_with_hardening_restart_and_reload(self):
        s = self.unit()["Service"]
        expect = {"User": "opdesk", "Group": "opdesk", "NoNewPrivileges": "yes", "ProtectSystem": "strict",
                  "ProtectHome": "yes", "PrivateTmp": "yes", "ReadWritePaths": "/var/lib/opdesk",
                  "CapabilityBoundingSet": "", "Restart": "on-failure", "StateDirectory": "opdesk",
                  "WorkingDirectory": "/var/lib/opdesk"}
        for k, v in expect.items():
            self.assertEqual(s.get(k), v, k)
        self.assertEqual(s["ExecReload"], "/bin/kill -HUP $MAINPID")
        self.assertEqual(s["ExecStart"], "/usr/bin/opdesk serve --config /etc/opdesk/opdesk.toml")
        self.assertEqual(self.unit()["Install"]["WantedBy"], "multi-user.target")

    def test_systemd_analyze_verify_finds_nothing_to_complain_about(self):
        if not shutil.which("systemd-analyze"):
            self.skipTest("systemd-analyze is not installed")
        with open(os.path.join(self.root, "lib/systemd/system/opdesk.service")) as f:
            text = f.read()
        # Paths as they are in this extracted root (verify checks that commands exist).
        text = text.replace("/usr/bin/opdesk", os.path.join(self.root, "usr/bin/opdesk"))
        kill = "/bin/kill" if os.path.exists("/bin/kill") else (shutil.which("kill") or sys.executable)
        text = text.replace("/bin/kill", kill)
        d = tempfile.mkdtemp(prefix="unit-", dir=WORK)
        path = os.path.join(d, "opdesk.service")
        with open(path, "w") as f:
            f.write(text)
        p = sh("systemd-analyze", "verify", path)
        # Containers without a full systemd unit tree lack sysinit.target: not the unit's fault.
        complaints = [l for l in (p.stdout + p.stderr).splitlines()
                      if l.strip() and "sysinit.target" not in l and "Failed to create" not in l]
        self.assertEqual(complaints, [])

    def test_the_extracted_binary_started_as_the_unit_does_serves_health_and_the_web_ui(self):
        s = self.unit()["Service"]
        argv = shlex.split(s["ExecStart"])
        argv[0] = os.path.join(self.root, argv[0].lstrip("/"))
        argv = [os.path.join(self.root, a.lstrip("/")) if a.startswith("/etc/opdesk/") else a for a in argv]
        state = tempfile.mkdtemp(prefix="state-", dir=WORK)
        # The unit's StateDirectory is /var/lib/opdesk; here a temp dir plays that part, and the
        # port is chosen by the kernel (the packaged config listens on 127.0.0.1:8765).
        env = dict(os.environ, OPDESK_SERVER_DATA_DIR=state, OPDESK_SERVER_LISTEN="127.0.0.1:0",
                   OPDESK_ADMIN_PASSWORD="package-test-pass-1", ASAN_OPTIONS="detect_leaks=0")
        proc = subprocess.Popen(argv, cwd=state, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            port, seen = None, []
            deadline = time.time() + 60
            while time.time() < deadline and port is None:
                line = proc.stdout.readline()
                if not line:
                    break
                seen.append(line)
                m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
                if m:
                    port = int(m.group(1))
            self.assertIsNotNone(port, "".join(seen))
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            c.request("GET", "/health")
            r = c.getresponse()
            body = json.loads(r.read())
            self.assertEqual(r.status, 200)
            self.assertEqual(body["status"], "ok")
            self.assertFalse(body["ami_connected"])  # the packaged config has no AMI account yet
            c.request("GET", "/")
            r = c.getresponse()
            html = r.read().decode()
            with open(os.path.join(self.root, "usr/share/opdesk/web/index.html")) as f:
                self.assertEqual(html, f.read())
            c.close()
            self.assertTrue(os.path.exists(os.path.join(state, "opdesk.db")))
            proc.send_signal(signal.SIGHUP)  # systemctl reload: re-reads the config, keeps running
            line = ""
            while "reload:" not in line:
                line = proc.stdout.readline()
                self.assertTrue(line, "server ended after SIGHUP")
            self.assertIn("reload: log level warn", line)
            self.assertIsNone(proc.poll())
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                rc = proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                rc = proc.wait()
        self.assertEqual(rc, 0)


if __name__ == "__main__":
    try:
        unittest.main(argv=[sys.argv[0]], verbosity=2)
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
