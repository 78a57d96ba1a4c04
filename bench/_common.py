"""Shared helpers of the benchmarks: medians and percentiles, tables, a served demo."""

import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.table import Table

console = Console()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def table(title: str, columns: list[str], rows: list[list]) -> None:
    result = Table(title=title)
    for column in columns:
        result.add_column(column, justify="right" if column != columns[0] else "left")
    for row in rows:
        result.add_row(*(f"{cell:.1f}" if isinstance(cell, float) else str(cell) for cell in row))
    console.print(result)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_env(data_dir: Path, extra: dict | None = None) -> dict:
    """The environment of a benchmark's own processes: its own data folder, and the embedded
    backends unless ``extra`` names others, so that a benchmark never touches (or flushes) the
    database the caller's HUIWU_DATABASE_URL points to."""
    env = {
        k: v for k, v in os.environ.items() if k not in {"HUIWU_DATABASE_URL", "HUIWU_REDIS_URL"}
    }
    return {**env, "HUIWU_DATA_DIR": str(data_dir), **(extra or {})}


def huiwu(
    *args: str, data_dir: Path, env: dict | None = None, **kwargs
) -> subprocess.CompletedProcess:
    env = bench_env(data_dir, env)
    return subprocess.run([sys.executable, "-m", "huiwu.cli", *args], env=env, check=True, **kwargs)


@contextmanager
def served(
    data_dir: Path, *, port: int | None = None, timeout: float = 60.0, env: dict | None = None
):
    """Serve the data folder with ``huiwu serve`` and yield (base URL, seconds to first answer)."""
    port = port or free_port()
    env = bench_env(data_dir, env)
    started = time.monotonic()
    server = subprocess.Popen(
        [sys.executable, "-m", "huiwu.cli", "serve", "--port", str(port), "--no-worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{base}/en/", timeout=5) as response:
                    response.read()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() - started > timeout:
                    raise RuntimeError(
                        "the server did not start: " + server.stderr.read().decode()[-2000:]
                    ) from None
                time.sleep(0.1)
        yield base, time.monotonic() - started
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:  # still draining its websockets: stop it for good
            server.kill()
            server.wait(timeout=10)
