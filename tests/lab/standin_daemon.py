#!/usr/bin/python3
"""Stand-in for `pmipx lma|mag|mn --config FILE`, to test lab.sh start/stop without daemons.

Serves GET /health -> 200 on the `api: {address, port}` of the config. The environment
variable PMIPX_STANDIN_MODE changes its behaviour:
  serve (default)  serve until SIGTERM
  exit             print an error and exit 3 at once
  ignore-term      serve, ignoring SIGTERM (only SIGKILL ends it)
  no-api           run, but never open the API socket
"""
import http.server
import os
import re
import signal
import sys
import time


def main():
    if len(sys.argv) != 4 or sys.argv[2] != "--config" or sys.argv[1] not in ("lma", "mag", "mn"):
        print(f"standin: usage: standin lma|mag|mn --config FILE (got {sys.argv[1:]})", file=sys.stderr)
        return 2
    role, config = sys.argv[1], sys.argv[3]
    mode = os.environ.get("PMIPX_STANDIN_MODE", "serve")
    netns = os.readlink("/proc/self/ns/net")
    print(f"standin: role={role} config={config} mode={mode} pid={os.getpid()} netns={netns}",
          flush=True)
    if mode == "exit":
        print(f"standin: {config}: refusing to start (mode exit)", file=sys.stderr, flush=True)
        return 3
    if mode == "ignore-term":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    else:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if mode == "no-api":
        while True:
            time.sleep(1)
    text = open(config).read()
    m = re.search(r"^api:.*\baddress:\s*([0-9A-Fa-f.:]+).*\bport:\s*(\d+)", text, re.M)
    addr, port = (m.group(1), int(m.group(2))) if m else ("127.0.0.1", 7780)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = f'{{"role": "{role}", "pid": {os.getpid()}}}\n'.encode()
            self.send_response(200 if self.path == "/health" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    http.server.HTTPServer((addr, port), Handler).serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
