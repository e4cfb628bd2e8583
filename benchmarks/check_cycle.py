"""Benchmark a check cycle: N GOV.UK-like pages served locally, several rounds.

Usage:  .venv/bin/python benchmarks/check_cycle.py [--n 1000] [--rounds 5] [--workers 4]

Rounds: 1 first sight of every page; 2 nothing changed; 3.. each page has a 5% chance of a real
change in its main content and (separately) a 10% chance of a noise-only change outside it
(cookie banner, nonce, link order, banners). No selectors are configured: the html kind must
find the main content by itself.

Per round it prints wall seconds, CPU seconds per 1,000 checks (this process only; the page
server runs in a child process), peak RSS, database size and precision/recall of the reported
changes against the pages that really changed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.pages import page  # noqa: E402

REAL_RATE, NOISE_RATE = 0.05, 0.10


# -- the page server (child process) ---------------------------------------------------------


class _State:
    real: list[int] = []
    noise: list[int] = []
    cache: dict[int, tuple[bytes, str]] = {}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else headers and body wait ~40 ms for a delayed ACK

    def log_message(self, *args: object) -> None:
        """Silence per-request logging."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path.startswith("/_round/"):
            self._round(int(self.path.rsplit("/", 1)[1]))
            return
        if self.path == "/robots.txt":
            self._send(404, b"", "")
            return
        index = int(self.path.rsplit("/", 1)[1])
        body, etag = self._page(index)
        if self.headers.get("If-None-Match") == etag:
            self._send(304, b"", etag)
        else:
            self._send(200, body, etag)

    def _page(self, index: int) -> tuple[bytes, str]:
        if index not in _State.cache:
            body = page(index, _State.real[index], _State.noise[index])
            etag = f'"{_State.real[index]}-{_State.noise[index]}-{index}"'
            _State.cache[index] = (body, etag)
        return _State.cache[index]

    def _round(self, number: int) -> None:
        n = len(_State.real)
        truth = []
        if number >= 3:
            rng = random.Random(number)
            for i in range(n):
                if rng.random() < REAL_RATE:
                    _State.real[i] += 1
                    truth.append(i)
                elif rng.random() < NOISE_RATE:
                    _State.noise[i] += 1
        _State.cache.clear()
        self._send(200, json.dumps(truth).encode(), "")

    def _send(self, status: int, body: bytes, etag: str) -> None:
        self.send_response(status)
        if etag:
            self.send_header("ETag", etag)
        if status != 304:
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304:
            self.wfile.write(body)


def serve(n: int) -> None:
    """Run the page server on a free port; print the port; serve until killed."""
    _State.real, _State.noise = [0] * n, [0] * n
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.request_queue_size = 256
    print(server.server_address[1], flush=True)
    server.serve_forever()


# -- the benchmark (this process) ------------------------------------------------------------


def write_config(folder: Path, port: int, n: int, classify: bool = True) -> Path:
    lines = [
        f"relevance: {{enabled: {'true' if classify else 'false'}}}",
        "defaults: {retries: 1, timeout: 30, respect_robots: true}",
        "hosts: {127.0.0.1: {rate: 0, concurrency: 8}}",
        "sources:",
    ]
    lines += [
        f"  - {{id: page-{i}, name: Page {i}, url: 'http://127.0.0.1:{port}/page/{i}', kind: html}}"
        for i in range(n)
    ]
    path = folder / "sources.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def database_size(path: Path) -> int:
    import sqlite3

    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def score(outcomes: list, truth: set[int]) -> tuple[float, float, int]:
    reported = {int(o.source.split("-")[1]) for o in outcomes if o.status == "changed"}
    errors = sum(o.status == "error" for o in outcomes)
    hits = len(reported & truth)
    precision = hits / len(reported) if reported else 1.0
    recall = hits / len(truth) if truth else 1.0
    return precision, recall, errors


def run(n: int, rounds: int, workers: int, classify: bool = True) -> None:
    from monitor.config import load_config
    from monitor.fetch import Fetcher
    from monitor.pipeline import run_cycle
    from storage import db
    from storage.store import Store

    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(n)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            config = load_config(write_config(folder, port, n, classify))
            db_path = folder / "bench.db"
            url = f"sqlite:///{db_path}"
            # as an operator would: 'init' once, then check cycles in a process of their own
            subprocess.run(
                [sys.executable, "-m", "monitor", "--database-url", url, "init"],
                check=True,
                capture_output=True,
            )
            engine = db.make_engine(url)
            store = Store(engine)
            print(
                f"N={n} pages of ~{len(page(0)) // 1024} KB, {workers} workers, classification "
                f"{'on' if classify else 'off'}, SQLite at {db_path}"
            )
            setup = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"peak RSS after imports, config and migrations: {setup:.1f} MiB")
            print(
                f"{'round':<18}{'wall s':>8}{'CPU s/1k':>10}{'peak RSS MiB':>14}{'DB MB':>8}"
                f"{'precision':>11}{'recall':>8}{'errors':>8}"
            )
            for number in range(1, rounds + 1):
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_round/{number}") as r:
                    truth = set(json.load(r))
                fetcher = Fetcher(config)
                wall, cpu = time.perf_counter(), time.process_time()
                outcomes = run_cycle(
                    config, config.sources, store, workers=workers, fetcher=fetcher
                )
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                fetcher.close()
                precision, recall, errors = score(outcomes, truth)
                rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                label = {1: "first", 2: "unchanged"}.get(number, f"change ({len(truth)} real)")
                print(
                    f"{number} {label:<16}{wall:>8.2f}{cpu * 1000 / n:>10.2f}{rss:>14.1f}"
                    f"{database_size(db_path) / 1e6:>8.2f}{precision:>11.3f}{recall:>8.3f}"
                    f"{errors:>8}",
                    flush=True,
                )
            engine.dispose()
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1000, help="pages (default 1000)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (default 5)")
    parser.add_argument("--workers", type=int, default=4, help="checks in flight (default 4)")
    parser.add_argument(
        "--no-classify",
        action="store_true",
        help="relevance.enabled: false (the core pipeline alone: no assessments, no drafts)",
    )
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
    else:
        run(args.n, args.rounds, args.workers, classify=not args.no_classify)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
