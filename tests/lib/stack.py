"""Start and stop Mittler the way `make run` does, on free ports and a fresh data
directory, for the smoke and fuzz tests."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port):
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def request(url, body=None, headers=None, method=None, timeout=5):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except OSError:
        return None, b""


def wait_for(what, check, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for: {what}")


class Stack:
    """`deploy/local/run.sh` in its own session, as a terminal runs a foreground job."""

    def __init__(self, extra_env=None, root=ROOT, data=None):
        """`root`: the checkout to run (this one by default); `data`: its data folder
        (by default a fresh one in a temporary folder)."""
        self.root = root
        self.work = tempfile.mkdtemp(prefix="mittler-stack-")
        os.chmod(self.work, 0o755)
        self.data = data or os.path.join(self.work, "data")
        self.nats_port, self.pg_port, self.http_port = free_port(), free_port(), free_port()
        self.mail_port, self.mail_web_port = free_port(), free_port()
        self.mail_base = f"http://127.0.0.1:{self.mail_web_port}"
        self.base = f"http://127.0.0.1:{self.http_port}"
        env = dict(os.environ)
        for key in ("NATS_URL", "DATABASE_URL", "MITTLER__NOTIFICATIONS__SMTP_HOST"):
            env.pop(key, None)
        env.update(
            MITTLER_DATA_DIR=self.data,
            MITTLER_NATS_PORT=str(self.nats_port),
            MITTLER_PG_PORT=str(self.pg_port),
            MITTLER_HTTP_ADDR=f"127.0.0.1:{self.http_port}",
            MITTLER_MAIL_PORT=str(self.mail_port),
            MITTLER_MAIL_WEB_PORT=str(self.mail_web_port),
            MITTLER__TELEMETRY__FORMAT="json",
        )
        env.update(extra_env or {})
        self.env = env
        self.log_path = os.path.join(self.work, "run.log")
        self.log = open(self.log_path, "w")
        self.proc = None

    def start(self, timeout=180):
        self.proc = subprocess.Popen(
            [os.path.join(self.root, "deploy/local/run.sh")],
            cwd=self.root, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        wait_for("/readyz 200", lambda: request(self.base + "/readyz")[0] == 200, timeout)

    def ctrl_c(self):
        os.killpg(self.proc.pid, signal.SIGINT)
        self.proc.wait(timeout=60)
        self.proc = None

    def login(self, email, password="mittler-demo"):
        status, body = request(self.base + "/api/v1/auth/login", {"email": email, "password": password})
        assert status == 200, (status, body)
        return json.loads(body)["token"]

    def dump_log(self):
        self.log.flush()
        with open(self.log_path) as f:
            sys.stderr.write("---- run.sh output ----\n" + f.read()[-6000:] + "\n")

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=60)
        subprocess.run([os.path.join(self.root, "deploy/local/stop.sh")], env=self.env, cwd=self.root,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.work, ignore_errors=True)
