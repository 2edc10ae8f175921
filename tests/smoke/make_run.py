#!/usr/bin/env python3
"""Smoke test of `make run` as a person uses it, on free ports and a fresh data dir.

1. `deploy/local/run.sh` (what `make run` calls) starts private NATS and PostgreSQL,
   migrates, seeds the demo data and serves: /healthz 200, /readyz 200, the sign-in
   page of the UI, and the demo requester can sign in.
   Mails go to the development mail sink, whose page lists them: a booking's
   offers arrive there.
2. NATS stops: /readyz answers 503; NATS is back: 200 again.
3. Ctrl-C (SIGINT to the foreground process group) stops Mittler and both servers.
4. A second run reuses the data directory (and the demo data is not doubled).
5. As root, in a clone under a folder only root may enter (root's home, mode 0700,
   on a fresh Debian machine): the PostgreSQL cluster lives where the postgres user
   can reach it, one line says where, /healthz answers, and `make stop` and
   `make clean-data` find it there.
"""
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from stack import ROOT, Stack, port_open, request, wait_for  # noqa: E402


def next_weekday_ten():
    day = datetime.date.today() + datetime.timedelta(days=2)
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return f"{day.isoformat()}T10:00"


def a_clone_in_a_closed_home():
    if os.geteuid() != 0:
        print("make run in a closed home: skipped (runs as root only)")
        return
    home = tempfile.mkdtemp(prefix="mittler-home-")
    os.chmod(home, 0o700)
    checkout = os.path.join(home, "mittler")
    subprocess.run(["git", "clone", "--quiet", ROOT, checkout], check=True)
    # The clone holds what is committed; lay the work tree's files over it, so that a
    # change is tested before it is committed too.
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, files):
        source = os.path.join(ROOT, name)
        if os.path.isfile(source):
            os.makedirs(os.path.dirname(os.path.join(checkout, name)), exist_ok=True)
            shutil.copy2(source, os.path.join(checkout, name))
    data = os.path.join(checkout, ".data")
    pg_sh = os.path.join(checkout, "deploy/local/pg.sh")
    place = subprocess.run([pg_sh, "where", os.path.join(data, "pg")], check=True,
                           capture_output=True, text=True).stdout.strip()
    stack = Stack(root=checkout, data=data)
    try:
        assert place.startswith("/var/lib/mittler/"), place
        stack.start()
        assert request(stack.base + "/healthz")[0] == 200
        stack.login("abh@erzgebirgskreis.example")
        with open(stack.log_path) as f:
            said = [line for line in f if "PostgreSQL's data lives in" in line]
        assert said == [f"==> PostgreSQL's data lives in {place}: the postgres user cannot reach "
                        f"{os.path.join(data, 'pg')}\n"], said
        assert os.path.exists(os.path.join(place, "PG_VERSION"))
        stack.ctrl_c()
        assert not port_open(stack.pg_port)
        subprocess.run(["make", "--no-print-directory", "stop"], cwd=checkout, env=stack.env, check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run(["make", "--no-print-directory", "clean-data"], cwd=checkout, env=stack.env,
                       check=True, stdout=subprocess.DEVNULL)
        assert not os.path.exists(os.path.dirname(place)), "make clean-data leaves the cluster"
        assert not os.path.exists(data)
    except BaseException:
        stack.dump_log()
        raise
    finally:
        stack.close()
        subprocess.run([pg_sh, "remove", os.path.join(data, "pg")], check=False)
        shutil.rmtree(home, ignore_errors=True)


def main():
    stack = Stack()
    try:
        stack.start()
        assert request(stack.base + "/healthz")[0] == 200
        code, body = request(stack.base + "/readyz")
        assert json.loads(body)["checks"] == {"postgres": "ok", "nats": "ok"}, body
        code, page = request(stack.base + "/login")
        assert code == 200 and b"<form" in page and b'lang="de"' in page, (code, page[:300])
        token = stack.login("abh@erzgebirgskreis.example")
        code, body = request(stack.base + "/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert code == 200 and json.loads(body)["role"] == "requester", (code, body)
        code, _ = request(stack.base + "/api/v1/bookings", {
            "language": "uk", "modality": "video", "local_start": next_weekday_ten(),
            "duration_minutes": 60}, headers={"Authorization": f"Bearer {token}"})
        assert code == 201, code
        # The requester's "received" mail and the offer mails ("Anfrage: …") leave
        # in any order: wait for both.
        wait_for("the received mail and offer mails at the mail sink",
                 lambda: all(word in request(stack.mail_base + "/")[1] for word in (b"Eingegangen", b"Anfrage")), 60)
        code, page = request(stack.mail_base + "/")
        assert code == 200 and b"Anfrage" in page and b"Eingegangen" in page, (code, page[:300])

        nats_dir = os.path.join(stack.data, "nats")
        subprocess.run([os.path.join(ROOT, "deploy/local/nats.sh"), "stop", nats_dir], check=True)
        wait_for("/readyz 503 while NATS is stopped", lambda: request(stack.base + "/readyz")[0] == 503, 30)
        subprocess.run([os.path.join(ROOT, "deploy/local/nats.sh"), "start", nats_dir, str(stack.nats_port)], check=True)
        wait_for("/readyz 200 when NATS is back", lambda: request(stack.base + "/readyz")[0] == 200, 60)

        pg_version = os.path.join(stack.data, "pg", "PG_VERSION")
        made = os.stat(pg_version).st_mtime_ns
        stack.ctrl_c()
        for port, what in [(stack.http_port, "Mittler"), (stack.nats_port, "NATS"), (stack.pg_port, "PostgreSQL"),
                           (stack.mail_port, "the mail sink")]:
            assert not port_open(port), f"{what} still listening after Ctrl-C"
        assert not os.path.exists(os.path.join(stack.data, "pg", "postmaster.pid"))

        stack.start(timeout=120)
        assert os.stat(pg_version).st_mtime_ns == made, "the second run must reuse .data"
        stack.login("abh@erzgebirgskreis.example")
        stack.ctrl_c()
        assert not port_open(stack.pg_port) and not port_open(stack.nats_port)
    except BaseException:
        stack.dump_log()
        print("make run smoke: 0 passed, 1 failed")
        raise
    finally:
        stack.close()
    try:
        a_clone_in_a_closed_home()
    except BaseException:
        print("make run smoke: 1 passed, 1 failed")
        raise
    print("make run smoke: 2 passed, 0 failed")


if __name__ == "__main__":
    main()
