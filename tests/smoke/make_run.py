#!/usr/bin/env python3
"""Smoke test of `make run` as a person uses it, on free ports and a fresh data dir.

1. `deploy/local/run.sh` (what `make run` calls) starts private NATS and PostgreSQL,
   migrates and serves: /healthz answers 200, /readyz 200.
2. NATS stops: /readyz answers 503; NATS is back: 200 again.
3. Ctrl-C (SIGINT to the foreground process group) stops Mittler and both servers.
4. A second run reuses the data directory.
"""
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


def status(url):
    try:
        with urllib.request.urlopen(url, timeout=3) as r:
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


def port_open(port):
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def start(env, log):
    # A new session, as a terminal gives a foreground job its own process group.
    return subprocess.Popen(
        [os.path.join(ROOT, "deploy/local/run.sh")],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )


def ctrl_c(proc):
    os.killpg(proc.pid, signal.SIGINT)
    proc.wait(timeout=60)


def main():
    work = tempfile.mkdtemp(prefix="mittler-smoke-")
    os.chmod(work, 0o755)
    data = os.path.join(work, "data")
    nats_port, pg_port, http_port = free_port(), free_port(), free_port()
    base = f"http://127.0.0.1:{http_port}"
    env = dict(os.environ)
    for key in ("NATS_URL", "DATABASE_URL"):
        env.pop(key, None)
    env.update(
        MITTLER_DATA_DIR=data,
        MITTLER_NATS_PORT=str(nats_port),
        MITTLER_PG_PORT=str(pg_port),
        MITTLER_HTTP_ADDR=f"127.0.0.1:{http_port}",
        MITTLER__TELEMETRY__FORMAT="json",
    )
    log_path = os.path.join(work, "run.log")
    log = open(log_path, "w")
    proc = None
    try:
        proc = start(env, log)
        wait_for("/healthz 200", lambda: status(base + "/healthz")[0] == 200, 180)
        code, body = status(base + "/readyz")
        assert code == 200, (code, body)
        assert json.loads(body)["checks"] == {"postgres": "ok", "nats": "ok"}

        subprocess.run([os.path.join(ROOT, "deploy/local/nats.sh"), "stop", os.path.join(data, "nats")], check=True)
        wait_for("/readyz 503 while NATS is stopped", lambda: status(base + "/readyz")[0] == 503, 30)
        subprocess.run(
            [os.path.join(ROOT, "deploy/local/nats.sh"), "start", os.path.join(data, "nats"), str(nats_port)],
            check=True,
        )
        wait_for("/readyz 200 when NATS is back", lambda: status(base + "/readyz")[0] == 200, 60)

        pg_version = os.path.join(data, "pg", "PG_VERSION")
        made = os.stat(pg_version).st_mtime_ns
        ctrl_c(proc)
        assert not port_open(http_port), "Mittler still listening after Ctrl-C"
        assert not port_open(nats_port), "NATS still running after Ctrl-C"
        assert not port_open(pg_port), "PostgreSQL still running after Ctrl-C"
        assert not os.path.exists(os.path.join(data, "pg", "postmaster.pid"))

        # Second run: same data, no new cluster.
        proc = start(env, log)
        wait_for("/readyz 200 on the second run", lambda: status(base + "/readyz")[0] == 200, 120)
        assert os.stat(pg_version).st_mtime_ns == made, "the second run must reuse .data"
        ctrl_c(proc)
        assert not port_open(pg_port) and not port_open(nats_port)
        proc = None
    except BaseException:
        log.flush()
        with open(log_path) as f:
            sys.stderr.write("---- run.sh output ----\n" + f.read()[-6000:] + "\n")
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=60)
        print("make run smoke: 0 passed, 1 failed")
        raise
    finally:
        subprocess.run([os.path.join(ROOT, "deploy/local/stop.sh")], env=env, cwd=ROOT,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)
    print("make run smoke: 1 passed, 0 failed")


if __name__ == "__main__":
    main()
