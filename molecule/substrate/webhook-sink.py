#!/usr/bin/python3
"""A stand-in for the pager and ticket systems in test environments: every POST to
/<name> is appended, one JSON document per line, to /var/tmp/webhook/<name>.jsonl.
Python's standard library only (nothing installed on the node); port 9099."""

import http.server
from pathlib import Path

OUT = Path("/var/tmp/webhook")  # noqa: S108 - a test node's, read by the tests


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        name = self.path.strip("/").replace("/", "_") or "root"
        with (OUT / f"{name}.jsonl").open("ab") as out:
            out.write(body.replace(b"\n", b" ") + b"\n")
        self.send_response(200)
        self.end_headers()


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    http.server.ThreadingHTTPServer(("", 9099), Handler).serve_forever()
