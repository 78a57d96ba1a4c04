"""The ``huiwu`` command as a user runs it, in a fresh data folder."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from django.core.management import CommandError, call_command

from huiwu.core.management.commands.bench import available


def huiwu(*args, data_dir, **kwargs):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUIWU_")}
    return subprocess.run(
        [sys.executable, "-m", "huiwu.cli", *args, "--data-dir", str(data_dir)],
        env=env,
        capture_output=True,
        text=True,
        **kwargs,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.skipif(
    "HUIWU_DATABASE_URL" in os.environ, reason="builds the demo on its own SQLite database"
)
def test_demo_builds_then_serves_the_summit(tmp_path):
    built = huiwu("demo", "--no-serve", data_dir=tmp_path, timeout=300)
    assert built.returncode == 0, built.stderr
    assert "Log in as organiser / wuzhen2024" in built.stdout
    # A second run reuses the database instead of building it again.
    again = huiwu("demo", "--no-serve", data_dir=tmp_path, timeout=120)
    assert again.returncode == 0, again.stderr
    assert "Building the demo summit" not in again.stdout

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUIWU_")}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "huiwu.cli",
            "serve",
            "--port",
            str(port),
            "--no-worker",
            "--data-dir",
            str(tmp_path),
        ],
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/", headers={"Accept-Language": "en-GB,en;q=0.9"}
                )
                with urllib.request.urlopen(request, timeout=5) as response:
                    body = response.read().decode()
                    final_url = response.geturl()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        assert final_url == f"http://127.0.0.1:{port}/en/"
        assert "Wuzhen" in body
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/figures") as response:
            figures = json.load(response)
        assert figures["forums"] == 24
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_bench_names_an_unknown_benchmark():
    with pytest.raises(CommandError, match="No benchmark called 'nope'"):
        call_command("bench", "nope")
    assert "demo" in available()
