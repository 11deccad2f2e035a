"""bench/bench_http.py: the wrk script and its result parser (no timing is asserted)."""

from __future__ import annotations

import shutil
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import bench_http  # noqa: E402

CANNED = """Running 10s test @ http://127.0.0.1:8000
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    12.10ms    3.20ms  80.00ms   90.00%
  Latency Distribution
     50%   11.50ms
     99%   30.10ms
  2000 requests in 10.00s, 20.00MB read
Requests/sec:    200.00
WRK_JSON {"duration_us":10000000,"requests":2000,"bytes":20000000,"errors":{"connect":0,"read":0,"write":0,\
"status":0,"timeout":0},"latency_us":{"min":900,"mean":12100.0,"max":80000,"p50":11500,"p75":13000,"p90":15000,\
"p99":30100,"p999":70000},"sent":2017,"ok":0,"failed":0,"exhausted":0}
"""


def test_parse_wrk_reads_the_json_line():
    data = bench_http.parse_wrk(CANNED)
    assert data["requests_per_s"] == pytest.approx(200.0)
    assert data["latency_ms"]["p50"] == pytest.approx(11.5)
    assert data["latency_ms"]["p99"] == pytest.approx(30.1)


def test_parse_wrk_without_json_line_fails():
    with pytest.raises(RuntimeError):
        bench_http.parse_wrk("Running 10s test @ http://127.0.0.1:8000\n")


def test_lua_strings_are_escaped_and_ascii_only():
    assert bench_http.lua_string('a"b\\c') == '"a\\"b\\\\c"'
    with pytest.raises(ValueError):
        bench_http.lua_string("cookie\n")


class Recorder(BaseHTTPRequestHandler):
    """Answers every request with a redirect and notes each POSTed path."""

    protocol_version = "HTTP/1.1"
    received: list[str] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        time.sleep(0.002)  # some work: requests are still in flight when wrk stops
        self.received.append(self.path)
        self.send_response(302)
        self.send_header("Location", "/done")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass  # wrk closes its connections at the end of the run


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_once_load_sends_each_request_at_most_once_and_counts_them(tmp_path):
    Recorder.received = []
    server = QuietServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        entries = [(1, f"/attempts/{i}/submit", "csrf_token=abc") for i in range(20000)]
        load = bench_http.Load("test", "POST", ["session=xyz"], entries, once=True)
        data = bench_http.run_wrk(f"http://127.0.0.1:{server.server_address[1]}", load, 4, 1, 2, tmp_path)
        seen = -1
        while seen != len(Recorder.received):  # requests still in flight when wrk stopped
            seen = len(Recorder.received)
            time.sleep(0.3)
    finally:
        server.shutdown()
        server.server_close()
    assert data["ok"] > 0 and data["failed"] == 0 and data["exhausted"] == 0
    assert len(set(Recorder.received)) == len(Recorder.received)
    assert len(Recorder.received) == data["ok"] + bench_http.in_flight(data)
