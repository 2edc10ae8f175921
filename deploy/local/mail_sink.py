#!/usr/bin/python3
"""A development mail sink: an SMTP server (aiosmtpd) that keeps every mail it
receives as an .eml file and shows them on a small web page. Nothing is relayed.

    mail_sink.py --smtp-port 1025 --http-port 8025 --dir .data/mail

The page lists the mails newest first; /mail/<n> shows one (text, HTML, calendar
parts) and /mail/<n>.eml gives the raw message; /api/mails lists them as JSON.
`make run` starts it; the tests start their own on free ports.
"""
import argparse
import email
import email.policy
import html
import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


class Store:
    def __init__(self, directory):
        self.directory = directory
        os.makedirs(directory, exist_ok=True)
        self.lock = threading.Lock()

    def names(self):
        return sorted((n for n in os.listdir(self.directory) if n.endswith(".eml")),
                      key=lambda n: int(n.split(".")[0]))

    def add(self, envelope_from, recipients, data):
        with self.lock:
            n = len(self.names()) + 1
            path = os.path.join(self.directory, f"{n}.eml")
            tmp = path + ".tmp"
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
            # The summary the lists show, made once here: parsing thousands of
            # mails for every list took seconds (the fault test sends thousands).
            with open(os.path.join(self.directory, f"{n}.json"), "w") as f:
                json.dump({"from": envelope_from, "to": recipients, "summary": parse_summary(n, data)}, f)
        return n

    def read(self, n):
        with open(os.path.join(self.directory, f"{n}.eml"), "rb") as f:
            return f.read()


class Handler:
    def __init__(self, store):
        self.store = store

    async def handle_DATA(self, server, session, envelope):
        n = self.store.add(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
        print(f"mail {n} for {', '.join(envelope.rcpt_tos)}", flush=True)
        return "250 Message accepted for delivery"


def summary(store, n):
    try:
        with open(os.path.join(store.directory, f"{n}.json")) as f:
            known = json.load(f).get("summary")
    except (OSError, ValueError):
        known = None
    return known or parse_summary(n, store.read(n))


def parse_summary(n, data):
    message = email.message_from_bytes(data, policy=email.policy.default)
    return {
        "n": n,
        "message_id": str(message.get("Message-ID", "")),
        "from": str(message.get("From", "")),
        "to": str(message.get("To", "")),
        "subject": str(message.get("Subject", "")),
        "date": str(message.get("Date", "")),
        "booking": str(message.get("X-Mittler-Booking", "")),
        "calendar": next((p.get_param("method") for p in message.walk()
                          if p.get_content_type() == "text/calendar"), None),
        "text": plain_text(message),
    }


def plain_text(message):
    part = message.get_body(preferencelist=("plain",))
    try:
        return part.get_content() if part is not None else ""
    except (LookupError, ValueError):
        return ""


def page(title, body):
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2rem;max-width:70rem}} td,th{{padding:.3rem .6rem;text-align:left;border-bottom:1px solid #ddd}}
pre{{white-space:pre-wrap;background:#f6f6f6;padding:1rem}} iframe{{width:100%;height:30rem;border:1px solid #ccc}}</style>
</head><body>{body}</body></html>""".encode()


def http_handler(store):
    class Page(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def send(self, status, content_type, body):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            names = store.names()
            numbers = [int(n.split(".")[0]) for n in names]
            if self.path == "/api/mails":
                return self.send(200, "application/json",
                                 json.dumps([summary(store, n) for n in numbers]).encode())
            if self.path == "/":
                rows = "".join(
                    f"<tr><td>{s['n']}</td><td>{html.escape(s['date'])}</td><td>{html.escape(s['to'])}</td>"
                    f"<td><a href='/mail/{s['n']}'>{html.escape(s['subject'])}</a></td>"
                    f"<td>{html.escape(s['calendar'] or '')}</td></tr>"
                    for s in reversed([summary(store, n) for n in numbers]))
                body = (f"<h1>Mails received: {len(numbers)}</h1><p>Nothing here leaves this machine.</p>"
                        f"<table><tr><th>#</th><th>date</th><th>to</th><th>subject</th><th>calendar</th></tr>{rows}</table>")
                return self.send(200, "text/html; charset=utf-8", page("Mails", body))
            if self.path.startswith("/mail/"):
                rest = self.path[len("/mail/"):]
                raw = rest.endswith(".eml")
                try:
                    n = int(rest.removesuffix(".eml"))
                    data = store.read(n)
                except (ValueError, OSError):
                    return self.send(404, "text/plain", b"no such mail")
                if raw:
                    return self.send(200, "message/rfc822", data)
                message = email.message_from_bytes(data, policy=email.policy.default)
                parts = []
                for part in message.walk():
                    kind = part.get_content_type()
                    if part.is_multipart():
                        continue
                    content = part.get_content()
                    if isinstance(content, bytes):
                        content = content.decode("utf-8", "replace")
                    if kind == "text/html":
                        parts.append(f"<h2>{kind}</h2><iframe sandbox srcdoc=\"{html.escape(content)}\"></iframe>")
                    else:
                        parts.append(f"<h2>{html.escape(kind)}</h2><pre>{html.escape(content)}</pre>")
                s = summary(store, n)
                body = (f"<p><a href='/'>all mails</a> · <a href='/mail/{n}.eml'>raw</a></p>"
                        f"<h1>{html.escape(s['subject'])}</h1><p>From {html.escape(s['from'])} to {html.escape(s['to'])}, "
                        f"{html.escape(s['date'])}</p>{''.join(parts)}")
                return self.send(200, "text/html; charset=utf-8", page(s["subject"], body))
            return self.send(404, "text/plain", b"not found")

    return Page


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smtp-port", type=int, default=1025)
    parser.add_argument("--http-port", type=int, default=8025)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--dir", default=".data/mail")
    args = parser.parse_args()
    store = Store(args.dir)
    controller = Controller(Handler(store), hostname=args.host, port=args.smtp_port)
    controller.start()
    httpd = ThreadingHTTPServer((args.host, args.http_port), http_handler(store))
    print(f"mail sink: SMTP {args.host}:{args.smtp_port}, mails at http://{args.host}:{args.http_port}/",
          flush=True)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
        httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
