"""An HTTP forwarder on 127.0.0.1 that counts the requests open at once (issue #5).

It sits between s3fs and the moto server: every request is read, sent on to the server over a
keep-alive connection of its own, and its answer sent back. A request is open from the moment
its headers arrive until its answer is written, so `max_open` is how many requests the client
really had in flight at the same time. Optional, for tests and the benchmark:

- `delay`: seconds each request waits before it is forwarded (a network round trip; on
  loopback moto answers in a few milliseconds of CPU, which no concurrency can overlap);
- `hold(pattern, count)`: the next requests whose `METHOD path` matches wait until `count`
  matching ones are open at once (then none waits any more), or `timeout` passes: on a loaded
  machine a fast server could otherwise answer before the client has sent the next one, and a
  parallel client would look sequential by chance. A sequential client still shows 1;
- `refuse`: requests whose `METHOD path` matches are answered 403 AccessDenied, never forwarded
  (a failure in the middle of a transfer).
"""

from __future__ import annotations

import http.client
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

# Hop-by-hop headers, and those the forwarder sets itself (the body is sent whole).
_SKIP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer",
         "upgrade", "expect", "content-length"}
_DENIED = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
           b"<Message>Access Denied</Message></Error>")


class Forwarder:
    def __init__(self, upstream: str, *, delay: float = 0.0, refuse: str | None = None) -> None:
        up = urlsplit(upstream)
        self._upstream = (up.hostname or "127.0.0.1", up.port or 80)
        self.delay = delay
        self._hold: tuple[re.Pattern[str], int, float] | None = None
        self._held = 0
        self._released = threading.Event()
        self.refuse = re.compile(refuse) if refuse else None
        self._lock = threading.Lock()
        self._local = threading.local()
        self.open = self.max_open = self.total = self.refused = 0
        self._spans: list[tuple[str, float, float]] = []  # (METHOD path, opened, answered)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def hold(self, pattern: str, count: int, *, timeout: float = 10.0) -> None:
        with self._lock:
            self._hold = (re.compile(pattern), count, timeout)
            self._held = 0
            self._released.clear()

    def reset(self) -> None:
        with self._lock:
            self.max_open = self.total = self.refused = 0
            self._spans = []

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def lines(self, pattern: str = "") -> list[str]:
        """`METHOD path` of every request answered (matching `pattern`), in answer order."""
        with self._lock:
            return [line for line, _, _ in self._spans if re.search(pattern, line)]

    def max_open_matching(self, pattern: str) -> int:
        """The most requests matching `pattern` that were open at once."""
        with self._lock:
            spans = [(s, e) for line, s, e in self._spans if re.search(pattern, line)]
        return _max_overlap(spans)

    # -- what the handler calls -----------------------------------------------------------

    def enter(self, line: str) -> float:
        started = time.perf_counter()
        with self._lock:
            self.open += 1
            self.total += 1
            self.max_open = max(self.max_open, self.open)
        self._wait_for_company(line)
        return started

    def leave(self, line: str, started: float) -> None:
        with self._lock:
            self.open -= 1
            self._spans.append((line, started, time.perf_counter()))

    def _wait_for_company(self, line: str) -> None:
        with self._lock:
            hold = self._hold
            if hold is None or not hold[0].search(line):
                return
            self._held += 1
            if self._held >= hold[1]:
                self._hold = None
                self._released.set()
        self._released.wait(hold[2])
        with self._lock:  # after a timeout too: hold no one after the first wait
            self._hold = None
            self._released.set()

    def forward(self, method: str, path: str, headers: dict[str, str], body: bytes | None,
                ) -> tuple[int, str, list[tuple[str, str]], bytes]:
        if self.delay:
            time.sleep(self.delay)  # the round trip, not an ordering of events
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = http.client.HTTPConnection(*self._upstream, timeout=60)
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.reason, resp.getheaders(), resp.read()


def _max_overlap(spans: list[tuple[float, float]]) -> int:
    events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
    best = now = 0
    for _, step in events:
        now += step
        best = max(best, now)
    return best


def _handler(fwd: Forwarder) -> Any:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes: with Nagle's algorithm the second one would
        # wait for the client's delayed acknowledgement (40 ms), a cost no real server has.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _any(self) -> None:
            line = f"{self.command} {self.path}"
            started = fwd.enter(line)
            try:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if fwd.refuse is not None and fwd.refuse.search(line):
                    with fwd._lock:
                        fwd.refused += 1
                    self._answer(403, "Forbidden", [("Content-Type", "application/xml")], _DENIED)
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _SKIP}
                self._answer(*fwd.forward(self.command, self.path, headers, body))
            finally:
                fwd.leave(line, started)

        def _answer(self, status: int, reason: str, headers: list[tuple[str, str]],
                    data: bytes) -> None:
            self.send_response(status, reason)
            for key, value in headers:
                if key.lower() not in _SKIP:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _any

    return Handler
