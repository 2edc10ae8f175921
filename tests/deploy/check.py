#!/usr/bin/env python3
"""Checks the deployment files against the code, without a container runtime:

- every service binary the workspace builds is in the Dockerfile, the compose file,
  the Kubernetes manifests (as a Deployment with readiness and liveness probes and
  two replicas) and can run under the systemd template;
- the compose file and the manifests run a 3-node NATS cluster with stream replicas 3;
- every MITTLER__SECTION__KEY they set is a key of deploy/mittler.example.toml, whose
  equality with the code's defaults a Rust test checks;
- no deployment file adds the demo data (its password is published): production
  starts with `mittler create-admin`.
"""
import glob
import os
import re
import sys
import tomllib

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
problems = []


def check(condition, message):
    if not condition:
        problems.append(message)


def read(path):
    with open(os.path.join(ROOT, path)) as f:
        return f.read()


services = sorted(os.path.basename(os.path.dirname(os.path.dirname(p)))
                  for p in glob.glob(os.path.join(ROOT, "services", "*", "src", "main.rs")))
services = [s for s in services if s != "mittler"]
check(set(services) == {"gateway", "booking", "availability", "sessions", "notifications"},
      f"unexpected services: {services}")

with open(os.path.join(ROOT, "deploy", "mittler.example.toml"), "rb") as f:
    example = tomllib.load(f)
# Keys without a default (passwords, secrets) appear in the file's comments only.
example_text = read("deploy/mittler.example.toml")


def known(variable):
    parts = variable.split("__")
    if len(parts) == 2 and parts[0] == "MITTLER":
        # A key of the whole installation (public_url), beside the sections.
        key = parts[1].lower()
        return key in example and not isinstance(example[key], dict)
    if len(parts) != 3 or parts[0] != "MITTLER":
        return False
    section, key = parts[1].lower(), parts[2].lower()
    return section in example and (key in example[section] or re.search(rf"\b{key}\b", example_text))


texts = {path: read(path) for path in ["Dockerfile", "deploy/docker/compose.yaml", "deploy/systemd/mittler@.service",
                                       "deploy/systemd/mittler-migrate.service"]
         + [os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "deploy", "k8s", "*.yaml"))]}
for path, text in texts.items():
    for variable in sorted(set(re.findall(r"MITTLER__[A-Z0-9_]+", text)) - {"MITTLER__SECTION__KEY"}):
        check(known(variable), f"{path}: {variable} is not a key of deploy/mittler.example.toml")

for path, text in texts.items():
    commands = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    check(not any("seed-demo" in line for line in commands), f"{path}: adds the demo data (seed-demo)")

dockerfile = texts["Dockerfile"]
for service in services:
    check(f"target/release/mittler-{service}" in dockerfile, f"Dockerfile does not ship mittler-{service}")

compose = yaml.safe_load(texts["deploy/docker/compose.yaml"])
for service in services:
    entry = compose["services"].get(service)
    check(entry is not None, f"compose: no {service}")
    if entry:
        check(entry.get("command") == [f"mittler-{service}"], f"compose: {service} runs {entry.get('command')}")
        check(entry.get("deploy", {}).get("replicas", 1) >= 2, f"compose: {service} has fewer than 2 replicas")
        check(entry["environment"]["MITTLER__NATS__STREAM_REPLICAS"] == "3", "compose: stream replicas not 3")
nats_nodes = [name for name in compose["services"] if name.startswith("nats-")]
check(len(nats_nodes) == 3, f"compose: {len(nats_nodes)} NATS nodes")
for name in nats_nodes:
    command = " ".join(compose["services"][name]["command"])
    others = [n for n in nats_nodes if n != name]
    check(all(f"nats://{o}:6222" in command for o in others), f"compose: {name} lacks routes to {others}")
    check("-js" in command, f"compose: {name} without JetStream")

manifests = []
for path in glob.glob(os.path.join(ROOT, "deploy", "k8s", "*.yaml")):
    with open(path) as f:
        manifests += [d for d in yaml.safe_load_all(f) if d]
deployments = {d["metadata"]["name"]: d for d in manifests if d["kind"] == "Deployment"}
for service in services:
    deployment = deployments.get(service)
    check(deployment is not None, f"k8s: no Deployment {service}")
    if not deployment:
        continue
    check(deployment["spec"]["replicas"] >= 2, f"k8s: {service} has fewer than 2 replicas")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    check(container["command"] == [f"mittler-{service}"], f"k8s: {service} runs {container['command']}")
    check(container.get("readinessProbe", {}).get("httpGet", {}).get("path") == "/readyz",
          f"k8s: {service} lacks the readiness probe")
    check(container.get("livenessProbe", {}).get("httpGet", {}).get("path") == "/healthz",
          f"k8s: {service} lacks the liveness probe")
nats = [d for d in manifests if d["kind"] == "StatefulSet" and d["metadata"]["name"] == "nats"]
check(len(nats) == 1 and nats[0]["spec"]["replicas"] == 3, "k8s: no 3-node NATS StatefulSet")
config = [d for d in manifests if d["kind"] == "ConfigMap"]
check(config and config[0]["data"].get("MITTLER__NATS__STREAM_REPLICAS") == "3", "k8s: stream replicas not 3")
check(config and config[0]["data"]["MITTLER__NATS__URL"].count("nats://") == 3, "k8s: NATS url names 3 nodes")

unit = texts["deploy/systemd/mittler@.service"]
check("ExecStart=/usr/local/bin/mittler-%i" in unit, "systemd: the template does not start mittler-%i")

if problems:
    print("deployment files:\n  " + "\n  ".join(problems))
    sys.exit(1)
print(f"deployment files: {len(services)} services in Dockerfile, compose, Kubernetes and systemd; all consistent")
