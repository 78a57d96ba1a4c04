"""``huiwu bench checkin``: how fast and how safely the gates decide.

1. Per image, on 640x480 frames made from every photo of the face folder (the photo scaled into
   the frame, as a gate camera sees a guest): decode, detect, encode and match times (p50, p95).
2. Match time for galleries of 1k, 10k and 100k random unit descriptors (the whole gallery, and
   restricted to the 300 guests allowed in a zone), through the gates' own ``identify``.
3. Accuracy on the labelled folder (layout of ``../shared/data/faces``): enrol the first photo of
   each known identity with the product's enrolment code (the next one if refused, counted in
   ``enrol_refused``), every other photo of a known identity is a genuine probe, every impostor
   photo a stranger; rank-1, TAR, misidentifications and FAR of ``identify`` at the engine's
   thresholds, and verify FAR / FRR over all genuine and impostor pairs.
4. N concurrent QR gates against a running server (``bench/_checkin_gates.py``): scans/s, p95
   latency and whether the stored events equal the scans sent.

``--json`` prints one object with the figures (keys named in the check-in issue).
"""

import argparse
import io
import json
import time
from pathlib import Path

import numpy as np
from _common import console, median, percentile, table
from PIL import Image

from huiwu.checkin.faces import ENGINES, get_engine, load_image
from huiwu.checkin.gallery import DISTANCES, Gallery, accuracy, identify, load_labelled_set

DEFAULT_FACES = Path(__file__).resolve().parents[2] / "shared" / "data" / "faces"
FRAME = (640, 480)
GALLERY_SIZES = (1_000, 10_000, 100_000)
ZONE_GUESTS = 300  # a forum room's seat holders: the `allowed` set of an identify gate
SEARCHES = 200


def frame(path: Path) -> bytes:
    """The photo scaled into a 640x480 grey frame, as a JPEG from a gate camera."""
    photo = Image.open(path).convert("RGB")
    photo.thumbnail(FRAME, Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", FRAME, (128, 128, 128))
    canvas.paste(photo, ((FRAME[0] - photo.width) // 2, (FRAME[1] - photo.height) // 2))
    buffer = io.BytesIO()
    canvas.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def milliseconds(function, *args, cpu: dict | None = None, stage: str = ""):
    """(result, wall-clock ms); with ``cpu``, also appends the process's CPU ms to
    ``cpu[stage]``: on a shared, busy machine that is the figure that still means something."""
    started, started_cpu = time.perf_counter(), time.process_time()
    result = function(*args)
    if cpu is not None:
        cpu.setdefault(stage, []).append((time.process_time() - started_cpu) * 1000)
    return result, (time.perf_counter() - started) * 1000


def stage_times(engine, folder: Path, gallery: Gallery, cpu: dict) -> dict[str, list[float]]:
    times = {"decode": [], "detect": [], "encode": [], "match": []}
    photos = sorted(p for p in folder.glob("*/*") if p.suffix.lower() != ".md")
    for path in photos:
        if path.parent.name.startswith("_"):
            continue
        image, took = milliseconds(load_image, frame(path), cpu=cpu, stage="decode")
        times["decode"].append(took)
        found, took = milliseconds(engine.detect, image, cpu=cpu, stage="detect")
        times["detect"].append(took)
        if not found:
            continue
        descriptor, took = milliseconds(engine.encode, image, found[0], cpu=cpu, stage="encode")
        times["encode"].append(took)
        _, took = milliseconds(identify, engine, gallery, descriptor, cpu=cpu, stage="match")
        times["match"].append(took)
    return times


def gallery_times(engine, cpu: dict) -> dict[str, list[float]]:
    rng = np.random.default_rng(4)
    probes = rng.normal(size=(SEARCHES, engine.dimension)).astype(np.float32)
    times = {}
    for size in GALLERY_SIZES:
        gallery = Gallery(engine.dimension, DISTANCES[engine.name])
        vectors = rng.normal(size=(size, engine.dimension)).astype(np.float32)
        if DISTANCES[engine.name] == "cosine":
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        for key, vector in enumerate(vectors):
            gallery.add(key, vector)
        zone = set(rng.choice(size, ZONE_GUESTS, replace=False).tolist())
        for name, allowed in ((f"{size // 1000}k", None), (f"{size // 1000}k_zone", zone)):
            times[name] = [
                milliseconds(identify, engine, gallery, p, allowed, cpu=cpu, stage=name)[1]
                for p in probes
            ]
    return times


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="huiwu bench checkin")
    parser.add_argument("--faces", type=Path, default=DEFAULT_FACES, help="labelled face folder")
    parser.add_argument("--engine", choices=ENGINES, default="arcface")
    parser.add_argument("--gates", type=int, default=20, help="concurrent QR gates (0: skip)")
    parser.add_argument("--scans", type=int, default=2000, help="QR scans sent by all gates")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    console.width = max(console.width, 130)  # the tables are wide; never wrap them in a pipe
    if not (args.faces / "labels.csv").is_file():
        parser.error(f"{args.faces} has no labels.csv")
    engine = get_engine(args.engine)

    labelled = load_labelled_set(engine, args.faces)
    figures = accuracy(labelled)
    cpu: dict[str, list[float]] = {}
    stages = stage_times(engine, args.faces, labelled.gallery(), cpu)
    galleries = gallery_times(engine, cpu)
    result = {
        **figures,
        "faces": str(args.faces),
        "frame": f"{FRAME[0]}x{FRAME[1]}",
        **{f"{stage}_ms_p50": median(values) for stage, values in stages.items()},
        **{f"{stage}_ms_p95": percentile(values, 0.95) for stage, values in stages.items()},
        **{f"{stage}_cpu_ms_p50": median(cpu[stage]) for stage in stages},
        **{f"match_ms_p50_{size}": median(values) for size, values in galleries.items()},
        **{f"match_ms_p95_{size}": percentile(values, 0.95) for size, values in galleries.items()},
        **{f"match_cpu_ms_p50_{size}": median(cpu[size]) for size in galleries},
        "refused_photos": [f"{name} ({code})" for name, code in labelled.enrol_refused],
    }
    if args.gates:
        # Written with the check-in services: serves a demo summit and posts real scans.
        from _checkin_gates import gates_benchmark

        result["gates"] = gates_benchmark(args.gates, args.scans)

    if args.json:
        print(json.dumps(result, default=float))
        return
    table(
        f"{engine.name}: per {result['frame']} frame, ms ({len(stages['decode'])} frames)",
        ["stage", "n", "p50", "p95", "CPU p50"],
        [
            [stage, len(values), median(values), percentile(values, 0.95), median(cpu[stage])]
            for stage, values in stages.items()
        ],
    )
    table(
        f"{engine.name}: identify in a gallery of random descriptors, ms ({SEARCHES} searches)",
        ["gallery", "p50", "p95", "CPU p50"],
        [
            [
                size.replace("_zone", f", {ZONE_GUESTS} allowed"),
                f"{median(values):.3f}",
                f"{percentile(values, 0.95):.3f}",
                f"{median(cpu[size]):.3f}",
            ]
            for size, values in galleries.items()
        ],
    )
    table(
        f"{engine.name}: accuracy on {args.faces.name} (identify <{figures['threshold']} and "
        f"margin >={figures['margin']}; verify <{figures['verify_threshold']})",
        ["figure", "value"],
        [
            [key, f"{value:.3f}" if isinstance(value, float) else str(value)]
            for key, value in figures.items()
        ],
    )
    if "gates" in result:
        table(
            f"{args.gates} QR gates",
            ["figure", "value"],
            [[key, str(value)] for key, value in result["gates"].items()],
        )
    if labelled.enrol_refused:
        console.print("Enrolment refused: " + ", ".join(result["refused_photos"]))
