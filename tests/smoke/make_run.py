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
"""
import datetime
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from stack import ROOT, Stack, port_open, request, wait_for  # noqa: E402


def next_weekday_ten():
    day = datetime.date.today() + datetime.timedelta(days=2)
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return f"{day.isoformat()}T10:00"


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
        wait_for("offer mails at the mail sink",
                 lambda: len(json.loads(request(stack.mail_base + "/api/mails")[1] or b"[]")) > 0, 60)
        code, page = request(stack.mail_base + "/")
        assert code == 200 and b"Anfrage" in page, (code, page[:300])

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
    print("make run smoke: 1 passed, 0 failed")


if __name__ == "__main__":
    main()
