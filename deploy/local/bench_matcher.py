#!/usr/bin/env python3
"""The matcher against the greedy baseline on every stored instance: weighted
coverage, assigned bookings, continuity, Jain's fairness, time. Prints a Markdown
table; both solutions are scored by shared/workload/check.py."""
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
WORKLOAD = os.path.join(ROOT, "..", "shared", "workload")
MITTLER = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target", "release", "mittler")


def score(instance, solution):
    out = subprocess.run([sys.executable, os.path.join(WORKLOAD, "check.py"), instance, solution],
                         capture_output=True, text=True)
    return json.loads(out.stdout)


def timed(command):
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def main():
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in sorted(os.listdir(os.path.join(WORKLOAD, "instances"))):
            instance = os.path.join(WORKLOAD, "instances", name)
            ours, greedy = os.path.join(tmp, "ours.json"), os.path.join(tmp, "greedy.json")
            t_ours = timed([MITTLER, "match", "--instance", instance, "--out", ours])
            t_greedy = timed([sys.executable, os.path.join(WORKLOAD, "greedy.py"), instance, "-o", greedy])
            a, b = score(instance, ours), score(instance, greedy)
            rows.append((name.removesuffix(".json"), a, b, t_ours, t_greedy))
    print("| instance | weighted coverage (greedy) | assigned (greedy) | Jain (greedy) | continuity (greedy) | valid | time s (greedy) |")
    print("|---|---|---|---|---|---|---|")
    for name, a, b, ta, tb in rows:
        cont = lambda s: "–" if s["continuity"] is None else f"{s['continuity']:.3f}"
        print(f"| {name} | {a['weighted_coverage']} ({b['weighted_coverage']}) | {a['assigned']} ({b['assigned']}) | "
              f"{a['fairness_jain']:.3f} ({b['fairness_jain']:.3f}) | {cont(a)} ({cont(b)}) | {a['valid']} | {ta:.2f} ({tb:.2f}) |")


if __name__ == "__main__":
    main()
