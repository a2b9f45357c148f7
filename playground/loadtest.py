"""`python -m playground loadtest`: a classroom of simulated students against a local app.

Each student is a thread with its own `gradio_client.Client`, walking a realistic lesson
sequence (tokenize, next token, generate, the Sampling tab's streamed 4-bit generation,
attention, similarity) with think time between clicks. The report gives requests, failures,
p50 / p95 latency per endpoint, and the server's memory after warm-up, about ten times during
the run, and at the end. Only loopback addresses are ever contacted.
"""

from __future__ import annotations

import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

PROMPTS = [
    "The capital of France is",
    "Once upon a time, a small robot",
    "To make a good cup of tea, you",
    "The three primary colours are",
]
SENTENCES = [
    "The cat sat on the mat because it was warm.",
    "Alice gave Bob the book because she had finished it.",
    "A B C D A B C D",
]


# One student's walk through the lessons: (endpoint, arguments). Endpoints the app does not
# have (a lesson not built yet) are skipped, and the report says so.
def lesson_walk(rng: random.Random) -> list[tuple[str, tuple]]:
    prompt = rng.choice(PROMPTS)
    sentence = rng.choice(SENTENCES)
    seed = rng.randint(0, 10_000)
    return [
        ("/tokenize", (sentence, "smollm2-135m-instruct")),
        ("/tokenize", (sentence, "all-minilm-l6-v2")),
        ("/next_token", (prompt, rng.choice([0.0, 0.7, 1.0, 1.5]), 50, 0.95, 0.0, False)),
        ("/generate", (prompt, 12, 0.8, 50, 0.95, 0.0, seed, False)),
        # what the Sampling tab's button does: 20 tokens streamed with its default 4-bit weights
        ("/generate_stream", (prompt, 20, 0.8, 0, 0.95, 0.0, seed, False, "4-bit")),
        ("/attention", (sentence, "smollm2-135m-instruct", rng.randint(0, 29), -1)),
        ("/similarity", ("\n".join(SENTENCES + [prompt]),)),
    ]


@dataclass
class LoadReport:
    users: int
    seconds: float
    latencies: dict[str, list[float]] = field(default_factory=dict)
    failures: dict[str, list[str]] = field(default_factory=dict)
    skipped: set[str] = field(default_factory=set)
    memory_start_mb: float | None = None
    memory_end_mb: float | None = None
    memory_samples: list[tuple[float, float]] = field(default_factory=list)  # (seconds in, RSS MB)
    cold_start_s: float | None = None
    load_counts: dict[str, int] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values()) + self.n_failures

    @property
    def n_failures(self) -> int:
        return sum(len(v) for v in self.failures.values())

    def table(self) -> str:
        lines = [
            f"{self.users} simulated students for {self.seconds:.0f} s: {self.requests} requests, "
            f"{self.n_failures} failed",
        ]
        if self.cold_start_s is not None:
            lines.append(f"cold start (launch to first HTTP 200): {self.cold_start_s:.1f} s")
        if self.memory_start_mb is not None:
            lines.append(
                f"server memory (RSS): {self.memory_start_mb:.0f} MB after warm-up, "
                f"{self.memory_end_mb:.0f} MB at the end"
            )
        if len(self.memory_samples) > 2:
            lines.append("RSS over the run (s: MB): " + ", ".join(f"{t:.0f}: {mb:.0f}" for t, mb in self.memory_samples))
        if self.load_counts:
            lines.append("model loads: " + ", ".join(f"{k} x{v}" for k, v in self.load_counts.items()))
        lines.append(f"{'endpoint':<27} {'ok':>5} {'failed':>6} {'p50 ms':>8} {'p95 ms':>8}")
        for name in sorted(set(self.latencies) | set(self.failures)):
            lat = sorted(self.latencies.get(name, []))
            p50 = statistics.median(lat) * 1000 if lat else float("nan")
            p95 = lat[min(len(lat) - 1, int(0.95 * len(lat)))] * 1000 if lat else float("nan")
            lines.append(f"{name:<27} {len(lat):>5} {len(self.failures.get(name, [])):>6} {p50:>8.0f} {p95:>8.0f}")
        if self.skipped:
            lines.append("not in this app (skipped): " + ", ".join(sorted(self.skipped)))
        for name, errs in self.failures.items():
            lines.append(f"first failure on {name}: {errs[0][:300]}")
        return "\n".join(lines)


def _student(url: str, seed: int, deadline: float, think: tuple[float, float], report: LoadReport, lock: threading.Lock):
    from gradio_client import Client

    rng = random.Random(seed)
    client = Client(url, verbose=False)
    known = set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    while time.monotonic() < deadline:
        if not known & {endpoint for endpoint, _ in lesson_walk(rng)}:
            time.sleep(think[1])  # nothing to call in this app: idle rather than spin
        for endpoint, args in lesson_walk(rng):
            if time.monotonic() >= deadline:
                break
            if endpoint not in known:
                with lock:
                    report.skipped.add(endpoint)
                continue
            start = time.perf_counter()
            try:
                client.predict(*args, api_name=endpoint)
                with lock:
                    report.latencies.setdefault(endpoint, []).append(time.perf_counter() - start)
            except Exception as exc:  # a failed request is a finding, not a crash of the test
                with lock:
                    report.failures.setdefault(endpoint, []).append(f"{type(exc).__name__}: {exc}")
            time.sleep(rng.uniform(*think))


def run_load(url: str, users: int, seconds: float, think: tuple[float, float] = (1.0, 4.0),
             server_pid: int | None = None, seed: int = 0) -> LoadReport:
    """Drive the app at `url` (loopback only) with `users` students for `seconds`."""
    host = urllib.parse.urlsplit(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"the load test only targets this machine's loopback address, not {host}")
    report = LoadReport(users=users, seconds=seconds)
    warm_up(url)
    report.memory_start_mb = _rss_mb(server_pid)
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(target=_student, args=(url, seed + i, deadline, think, report, lock), daemon=True)
        for i in range(users)
    ]
    for t in threads:
        t.start()
        time.sleep(0.05)  # students arrive over a moment, not in the same millisecond
    # sample the server's memory about ten times while the students work, to see it level off
    began, every, last = time.monotonic(), max(seconds / 10, 5.0), -float("inf")
    while any(t.is_alive() for t in threads) and time.monotonic() < deadline + 300:
        time.sleep(0.5)
        now = time.monotonic() - began
        if server_pid is not None and now - last >= every:
            report.memory_samples.append((now, _rss_mb(server_pid)))
            last = now
    report.memory_end_mb = _rss_mb(server_pid)
    report.load_counts = _load_counts(url)
    return report


def warm_up(url: str) -> None:
    """One pass of every endpoint, so the first student does not pay for model loading."""
    from gradio_client import Client

    client = Client(url, verbose=False)
    known = set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    for endpoint, args in lesson_walk(random.Random(-1)):
        if endpoint in known:
            try:
                client.predict(*args, api_name=endpoint)
            except Exception:
                pass  # the load run will count it


def _load_counts(url: str) -> dict[str, int]:
    from gradio_client import Client

    try:
        _, data = Client(url, verbose=False).predict(api_name="/models_status")
        return {m["key"]: m["load_count"] for m in data["models"] if m.get("load_count")}
    except Exception:
        return {}


def _rss_mb(pid: int | None) -> float | None:
    if pid is None:
        return None
    import psutil

    return psutil.Process(pid).memory_info().rss / 1e6


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch_server(port: int, timeout: float = 180) -> tuple[subprocess.Popen, float]:
    """Start `python -m playground serve` on loopback; return it and the seconds to first HTTP 200."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "playground", "serve", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ},
    )
    url = f"http://127.0.0.1:{port}/"
    while time.perf_counter() - start < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return proc, time.perf_counter() - start
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise TimeoutError(f"the server did not answer within {timeout:.0f} s")


def main(users: int, minutes: float, url: str | None = None) -> LoadReport:
    proc = None
    cold = None
    if url is None:
        port = free_port()
        proc, cold = launch_server(port)
        url = f"http://127.0.0.1:{port}/"
    try:
        report = run_load(url, users, minutes * 60, server_pid=proc.pid if proc else None)
        report.cold_start_s = cold
        return report
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)

