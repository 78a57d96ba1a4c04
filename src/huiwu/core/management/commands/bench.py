"""``huiwu bench NAME``: run the benchmark ``bench/NAME.py`` of the source tree."""

import argparse
import importlib.util
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

import huiwu

BENCH_DIR = Path(huiwu.__file__).resolve().parents[2] / "bench"


def available() -> list[str]:
    return sorted(p.stem for p in BENCH_DIR.glob("*.py") if not p.stem.startswith("_"))


class Command(BaseCommand):
    help = "Run a benchmark from bench/ and print its table of figures."

    def add_arguments(self, parser):
        parser.add_argument("name", help="The benchmark to run: " + ", ".join(available()))
        parser.add_argument(
            "bench_args", nargs=argparse.REMAINDER, help="Arguments passed to the benchmark."
        )

    def handle(self, *args, name, **options):
        path = BENCH_DIR / f"{name}.py"
        if not path.is_file():
            raise CommandError(
                f"No benchmark called {name!r} in {BENCH_DIR}; there are: {', '.join(available())}"
            )
        if str(BENCH_DIR) not in sys.path:
            sys.path.insert(0, str(BENCH_DIR))  # benchmarks share bench/_common.py
        spec = importlib.util.spec_from_file_location(f"huiwu_bench_{name}", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        module.main(options["bench_args"])
