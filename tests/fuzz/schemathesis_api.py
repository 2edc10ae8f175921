#!/usr/bin/env python3
"""schemathesis against the running system's /api/openapi.json: generated requests
(valid and invalid) for every operation, signed in as a requester and as a
coordinator. Passes when no request gets a 5xx answer and every answer fits the
documented status codes."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from stack import Stack  # noqa: E402

MAX_EXAMPLES = os.environ.get("MITTLER_FUZZ_EXAMPLES", "40")


def run(stack, email):
    token = stack.login(email)
    command = [
        "st", "run", stack.base + "/api/openapi.json",
        "--checks", "not_a_server_error,status_code_conformance",
        "--max-examples", MAX_EXAMPLES,
        "--generation-deterministic",
        # The examples phase trips over an internal error of schemathesis 4.x on this
        # schema now and then (a KeyError while deriving examples); the generated phases
        # cover the same operations.
        "--phases", "coverage,fuzzing,stateful",
        # These end the fuzzer's own sign-in (the stateful phase feeds its id back).
        "--exclude-path", "/api/v1/auth/logout",
        "--exclude-path", "/api/v1/auth/sign-ins/{id}",
        # Live event streams never end; services/mittler/tests/system/notifications.rs and
        # services/gateway/tests/api/reports_api.rs read them.
        "--exclude-path", "/api/v1/notifications/events",
        "--exclude-path", "/api/v1/queue/events",
        "--header", f"Authorization: Bearer {token}",
        "--request-timeout", "10",
        # One worker: with two threads, hypothesis parses its own lambdas' source
        # concurrently and Python 3.11 now and then fails that with "AST constructor
        # recursion depth mismatch" (a runtime error of the tool, not of the API).
        "--workers", "1",
    ]
    print(f"==> schemathesis as {email}", flush=True)
    return subprocess.run(command).returncode


def main():
    # Fuzzing signs in with random e-mail addresses: let it, without locking anyone out.
    stack = Stack({"MITTLER__AUTH__MAX_FAILED_LOGINS": "1000000", "MITTLER__AUTH__MAX_FAILED_LOGINS_PER_IP": "1000000"})
    failed = 0
    try:
        stack.start()
        for email in ["abh@erzgebirgskreis.example", "koordination@sprachmittlerpool-sachsen.example"]:
            failed += run(stack, email) != 0
        stack.ctrl_c()
    except BaseException:
        stack.dump_log()
        raise
    finally:
        stack.close()
    print(f"schemathesis: {2 - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
