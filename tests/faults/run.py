#!/usr/bin/env python3
"""Fault test: the services as separate processes, two replicas each, on a 3-node
NATS cluster (JetStream, stream replicas 3) and PostgreSQL, under a steady load of
bookings that simulated mediators accept (`mittler-load`). During the run one NATS
node and one replica of every service are killed with SIGKILL and started again.

Afterwards, once the system has settled:
- every booking is assigned, cancelled or unfilled, or was handed to the
  coordinators by rule (escalated: nobody could take it);
- no mediator holds overlapping reservations, every assignment holds exactly one
  live reservation and no live reservation lacks an assignment;
- every mail was accepted by the SMTP sink once (by Message-ID; a process killed
  between the server's 250 and its commit may send one mail twice, decision 0009:
  such duplicates are counted and may not exceed the kills of notifications);
  nothing is left queued or failed;
- every outbox is empty; no consumer has anything pending.

Prints the figures as a Markdown table (for BENCHMARKS.md) and exits non-zero when a
check fails.

    tests/faults/run.py [--rate 4] [--seconds 90] [--mediators 40]
"""
import argparse
import collections
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from stack import ROOT, free_port, port_open, request, wait_for  # noqa: E402

SERVICES = ["gateway", "booking", "availability", "sessions", "notifications"]
BIN = os.environ.get("MITTLER_BIN_DIR", os.path.join(ROOT, "target", "debug"))
NATS = shutil.which("nats-server") or "/usr/sbin/nats-server"


def log(text):
    print(f"==> {text}", flush=True)


class Cluster:
    """Three nats-server processes in one cluster on loopback."""

    def __init__(self, work):
        self.work = work
        self.nodes = [{"name": f"n{i}", "port": free_port(), "cluster": free_port(), "monitor": free_port()}
                      for i in range(3)]
        self.procs = {}

    def url(self):
        return ",".join(f"nats://127.0.0.1:{n['port']}" for n in self.nodes)

    def start(self, i):
        node = self.nodes[i]
        routes = ",".join(f"nats://127.0.0.1:{n['cluster']}" for j, n in enumerate(self.nodes) if j != i)
        store = os.path.join(self.work, node["name"])
        os.makedirs(store, exist_ok=True)
        args = [NATS, "-a", "127.0.0.1", "-p", str(node["port"]), "-m", str(node["monitor"]), "-js",
                "-sd", store, "--server_name", node["name"], "--cluster_name", "mittler",
                "--cluster", f"nats://127.0.0.1:{node['cluster']}", "--routes", routes]
        with open(os.path.join(self.work, f"{node['name']}.log"), "ab") as out:
            self.procs[i] = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(f"NATS {node['name']}", lambda: port_open(node["port"]), 20)

    def kill(self, i):
        self.procs[i].send_signal(signal.SIGKILL)
        self.procs[i].wait()

    def jetstream_ready(self):
        code, body = request(f"http://127.0.0.1:{self.nodes[0]['monitor']}/jsz")
        return code == 200 and json.loads(body).get("meta_cluster", {}).get("leader")

    def consumers(self):
        """Per consumer: (pending, ack pending), from the leader's view."""
        found = {}
        for node in self.nodes:
            code, body = request(f"http://127.0.0.1:{node['monitor']}/jsz?consumers=true&accounts=true")
            if code != 200:
                continue
            for account in json.loads(body).get("account_details", []):
                for stream in account.get("stream_detail", []):
                    for consumer in stream.get("consumer_detail", []) or []:
                        key = f"{stream['name']}/{consumer['name']}"
                        if consumer.get("cluster", {}).get("leader") == node["name"] or key not in found:
                            found[key] = (consumer.get("num_pending", 0), consumer.get("num_ack_pending", 0))
        return found

    def stop(self):
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


class Services:
    """Two replicas of each service, each its own process."""

    def __init__(self, work, env):
        self.work = work
        self.env = env
        self.ports = {(name, r): free_port() for name in SERVICES for r in (0, 1)}
        self.procs = {}

    def start(self, name, replica):
        env = dict(self.env, MITTLER__HTTP__ADDR=f"127.0.0.1:{self.ports[(name, replica)]}")
        with open(os.path.join(self.work, f"{name}-{replica}.log"), "ab") as out:
            self.procs[(name, replica)] = subprocess.Popen(
                [os.path.join(BIN, f"mittler-{name}")], env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)

    def ready(self, name, replica):
        return request(f"http://127.0.0.1:{self.ports[(name, replica)]}/readyz")[0] == 200

    def kill(self, name, replica):
        self.procs[(name, replica)].send_signal(signal.SIGKILL)
        self.procs[(name, replica)].wait()

    def stop(self):
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()


def psql(port, sql):
    out = subprocess.run(["psql", "-X", "-At", "-F", "\t", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                          "-d", "mittler", "-c", sql], check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.strip().splitlines() if line]


def checks(pg, cluster, mail_web, notification_kills):
    """Every figure and whether it passes."""
    states = dict((s, int(n)) for s, n in psql(pg, "SELECT state, count(*) FROM booking.bookings GROUP BY state"))
    waiting = int(psql(pg, "SELECT count(*) FROM booking.bookings WHERE state IN ('requested', 'offering') "
                           "AND escalated_at IS NULL")[0][0])
    escalated = int(psql(pg, "SELECT count(*) FROM booking.bookings WHERE state IN ('requested', 'offering') "
                             "AND escalated_at IS NOT NULL")[0][0])
    overlaps = int(psql(pg, "SELECT count(*) FROM availability.reservations a JOIN availability.reservations b "
                            "ON a.mediator_id = b.mediator_id AND a.id < b.id AND a.slot && b.slot "
                            "WHERE a.released_at IS NULL AND b.released_at IS NULL")[0][0])
    leaked = int(psql(pg, "SELECT count(*) FROM availability.reservations r WHERE r.released_at IS NULL "
                          "AND NOT EXISTS (SELECT 1 FROM booking.assignments a WHERE a.reservation_id = r.id)")[0][0])
    unheld = int(psql(pg, "SELECT count(*) FROM booking.assignments a JOIN booking.bookings b ON b.id = a.booking_id "
                          "WHERE b.state IN ('assigned', 'in_session', 'completed') AND NOT EXISTS ("
                          "SELECT 1 FROM availability.reservations r WHERE r.id = a.reservation_id "
                          "AND r.released_at IS NULL)")[0][0])
    messages = dict((s, int(n)) for s, n in psql(pg, "SELECT state, count(*) FROM notifications.messages GROUP BY state"))
    sent_ids = {row[0] for row in psql(pg, "SELECT id FROM notifications.messages WHERE state = 'sent'")}
    # Thousands of mails: give the list time.
    code, body = request(f"http://127.0.0.1:{mail_web}/api/mails", timeout=120)
    assert code == 200, f"the mail sink's list answered {code}"
    mails = json.loads(body) if code == 200 else []
    by_id = collections.Counter(m.get("message_id", "") for m in mails)
    duplicates = sum(n - 1 for n in by_id.values() if n > 1)
    at_sink = {mid.strip("<>").split("@")[0] for mid in by_id}
    missing = len([i for i in sent_ids if i not in at_sink])
    outboxes = {}
    for (schema,) in psql(pg, "SELECT table_schema FROM information_schema.tables WHERE table_name = 'outbox'"):
        outboxes[schema] = int(psql(pg, f"SELECT count(*) FROM {schema}.outbox WHERE sent_at IS NULL")[0][0])
    consumers = cluster.consumers()
    pending = {k: v for k, v in consumers.items() if v != (0, 0)}
    figures = {
        "bookings": sum(states.values()),
        "states": states,
        "waiting (not assigned, not escalated)": waiting,
        "escalated to coordinators": escalated,
        "overlapping live reservations": overlaps,
        "live reservations without an assignment": leaked,
        "assignments without a live reservation": unheld,
        "mails by state": messages,
        "mails at the SMTP sink": len(mails),
        "mails sent twice (same Message-ID)": duplicates,
        "sent mails missing at the sink": missing,
        "unsent outbox rows": outboxes,
        "consumers": len(consumers),
        "consumers with pending messages": pending,
    }
    passed = (waiting == 0 and overlaps == 0 and leaked == 0 and unheld == 0 and missing == 0
              and duplicates <= notification_kills and set(messages) <= {"sent"}
              and sum(outboxes.values()) == 0 and not pending and sum(states.values()) > 0)
    return passed, figures


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=90)
    parser.add_argument("--mediators", type=int, default=40)
    parser.add_argument("--settle", type=int, default=180, help="seconds to wait for the checks to pass")
    parser.add_argument("--instance", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "mediators.json"),
                        help="a workload instance whose mediators the load creates")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="mittler-faults.")
    os.chmod(work, 0o755)
    pg_port, mail_port, mail_web = free_port(), free_port(), free_port()
    cluster = Cluster(work)
    services = None
    mail = None
    ok = False
    try:
        log(f"3-node NATS cluster, PostgreSQL and the mail sink (logs in {work})")
        for i in range(3):
            cluster.start(i)
        wait_for("a JetStream meta leader", cluster.jetstream_ready, 60)
        env_pg = dict(os.environ, PG_FAST="1")
        subprocess.run([os.path.join(ROOT, "deploy/local/pg.sh"), "start", os.path.join(work, "pg"), str(pg_port)],
                       check=True, env=env_pg)
        subprocess.run([os.path.join(ROOT, "deploy/local/pg.sh"), "ensure-db", str(pg_port)], check=True)
        mail = subprocess.Popen(["/usr/bin/python3", os.path.join(ROOT, "deploy/local/mail_sink.py"),
                                 "--smtp-port", str(mail_port), "--http-port", str(mail_web),
                                 "--dir", os.path.join(work, "mail")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        wait_for("the mail sink", lambda: port_open(mail_web), 20)

        env = dict(os.environ)
        env.update({
            "MITTLER__DATABASE__URL": f"postgres://mittler@127.0.0.1:{pg_port}/mittler",
            "MITTLER__DATABASE__MAX_CONNECTIONS": "8",
            "MITTLER__NATS__URL": cluster.url(),
            "MITTLER__NATS__STREAM_REPLICAS": "3",
            "MITTLER__NOTIFICATIONS__SMTP_HOST": "127.0.0.1",
            "MITTLER__NOTIFICATIONS__SMTP_PORT": str(mail_port),
            # Short waits, so that offers lost with a killed process are offered again
            # within the run.
            "MITTLER__DISPATCH__CASCADE_SECS": "5",
            "MITTLER__DISPATCH__BROADCAST_SECS": "10",
            "MITTLER__DISPATCH__RESERVATION_GUARD_SECS": "10",
            "MITTLER__TELEMETRY__FORMAT": "json",
        })
        log("migrate and seed")
        subprocess.run([os.path.join(BIN, "mittler"), "migrate"], check=True, env=env, stdout=subprocess.DEVNULL)
        subprocess.run([os.path.join(BIN, "mittler"), "seed-demo"], check=True, env=env, stdout=subprocess.DEVNULL)

        services = Services(work, env)
        for name in SERVICES:
            for replica in (0, 1):
                services.start(name, replica)
        for name in SERVICES:
            for replica in (0, 1):
                wait_for(f"{name} replica {replica} ready", lambda: services.ready(name, replica), 90)
        log("two replicas of each service are ready")

        gateway = f"http://127.0.0.1:{services.ports[('gateway', 0)]}"
        load = subprocess.Popen(
            [os.path.join(BIN, "mittler-load"), "--base", gateway, "--nats", f"nats://127.0.0.1:{cluster.nodes[0]['port']}",
             "--instance", args.instance, "--mediators", str(args.mediators), "--rate", str(args.rate),
             "--seconds", str(args.seconds), "--on-demand", "0", "--race", "0",
             "--mail", f"http://127.0.0.1:{mail_web}"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # The faults start once the load runs (after its mediators have signed in).
        while True:
            line = load.stderr.readline()
            if not line:
                break
            print(f"    load: {line.rstrip()}", flush=True)
            if line.startswith("signed in"):
                break
        began = time.time()
        notification_kills = 0
        plan = [
            (args.seconds * 0.15, "kill NATS n2", lambda: cluster.kill(2)),
            (args.seconds * 0.30, "restart NATS n2", lambda: cluster.start(2)),
            (args.seconds * 0.40, "kill one replica of every service", lambda: [services.kill(n, 1) for n in SERVICES]),
            (args.seconds * 0.60, "restart them", lambda: [services.start(n, 1) for n in SERVICES]),
        ]
        for at, what, act in plan:
            time.sleep(max(0.0, began + at - time.time()))
            log(f"t+{time.time() - began:.0f}s: {what}")
            act()
            if "replica" in what:
                notification_kills += 1
        out, err = load.communicate(timeout=args.seconds * 4 + 120)
        for line in (err or "").splitlines():
            print(f"    load: {line}", flush=True)
        print(out, flush=True)
        for name in SERVICES:
            wait_for(f"{name} replica 1 ready again", lambda: services.ready(name, 1), 60)

        log(f"settling (up to {args.settle} s)")
        deadline = time.time() + args.settle
        while True:
            passed, figures = checks(pg_port, cluster, mail_web, notification_kills)
            if passed or time.time() > deadline:
                break
            time.sleep(5)
        settled = args.settle - max(0, int(deadline - time.time()))
        print()
        print(f"| fault run: {args.rate} bookings/s for {args.seconds} s, {args.mediators} mediators, "
              f"settled after {settled} s | |")
        print("|---|---|")
        for key, value in figures.items():
            print(f"| {key} | {json.dumps(value, ensure_ascii=False)} |")
        print()
        ok = passed
        log("PASSED" if ok else "FAILED")
    finally:
        if services:
            services.stop()
        cluster.stop()
        if mail:
            mail.terminate()
        subprocess.run([os.path.join(ROOT, "deploy/local/pg.sh"), "stop", os.path.join(work, "pg")], check=False)
        if ok:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"logs kept in {work}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
