"""``huiwu bench calibrate_faces``: choose the verify / identify thresholds of each face engine.

On every labelled folder (default: ``../shared/data/faces`` and ``../shared/data/faces-eastasia``)
and for each engine: enrol the first photo of each ``known`` identity with the product's own
enrolment code, encode every other photo, then measure

- verify (1:1): the distance of every genuine pair (probe, own enrolment) and every impostor pair
  (probe, someone else's enrolment, strangers included);
- identify (1:N): for every probe the best and second-best gallery distance; the strangers are
  the ``impostor`` photos AND, leave-one-identity-out, every photo of each known identity in
  turn with that identity taken out of the gallery.

The rule that picks the constants written into ``huiwu/checkin/faces.py`` (sigma is the standard
deviation of all impostor pair distances, pooled over the folders):

- verify = the closest impostor pair of all folders minus VERIFY_SAFETY sigma;
- identify = the closest stranger of all folders minus IDENTIFY_SAFETY sigma: a stranger at a
  1:N gate is compared with every allowed guest, so the nearest of N impostor distances creeps
  lower as N grows, and the threshold keeps a wider distance to it;
- margin = the 95th percentile of the strangers' margins (second best minus best): strangers
  typically sit about equally far from several guests, genuine guests far closer to one, so even a
  stranger who comes closer than any seen here is still refused 19 times in 20 by the margin alone.

Thresholds are rounded down and the margin up, to 0.01.

``--json`` prints the figures as one object.
"""

import argparse
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from _common import console, table

from huiwu.checkin.faces import ENGINES, Thresholds, get_engine
from huiwu.checkin.gallery import LabelledSet, accuracy, load_labelled_set

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
FOLDERS = [SHARED / "faces", SHARED / "faces-eastasia"]
# Distances, in impostor standard deviations, kept between the closest stranger of the
# calibration sets and each threshold: real gate crowds are larger and harder than these sets.
VERIFY_SAFETY = 0.5
IDENTIFY_SAFETY = 1.0
MARGIN_PERCENTILE = 95


@dataclass
class Distances:
    verify_genuine: np.ndarray  # distance of each probe to its own enrolment
    verify_impostor: np.ndarray  # distance of each probe to every other enrolment
    genuine_best: np.ndarray  # per genuine probe: best gallery distance ...
    genuine_margin: np.ndarray  # ... second best minus best (inf with one candidate)
    genuine_right: np.ndarray  # ... and whether the best is the right person
    stranger_best: np.ndarray  # impostor photos + leave-one-identity-out photos
    stranger_margin: np.ndarray


def distances(labelled: LabelledSet) -> Distances:
    engine, keys, gallery = labelled.engine, labelled.keys, labelled.gallery()
    enrolled = np.stack([labelled.enrolled[identity] for identity in keys])
    verify_genuine, verify_impostor = [], []
    genuine_best, genuine_margin, genuine_right = [], [], []
    stranger_best, stranger_margin = [], []

    def best_and_margin(descriptor, allowed=None):
        found = gallery.search(descriptor, k=2, allowed=allowed)
        margin = found[1][1] - found[0][1] if len(found) > 1 else np.inf
        return found[0][0], found[0][1], margin

    for probe in labelled.genuine + labelled.impostor:
        if probe.descriptor is None:
            continue
        row = engine.distances(probe.descriptor, enrolled)
        for identity, key in keys.items():
            (verify_genuine if identity == probe.identity else verify_impostor).append(row[key])
    for probe in labelled.genuine:
        if probe.descriptor is None:
            continue
        key, best, margin = best_and_margin(probe.descriptor)
        genuine_best.append(best)
        genuine_margin.append(margin)
        genuine_right.append(key == keys[probe.identity])
    for probe in labelled.impostor:
        if probe.descriptor is not None:
            _, best, margin = best_and_margin(probe.descriptor)
            stranger_best.append(best)
            stranger_margin.append(margin)
    for identity, key in keys.items():
        others = [other for other in keys.values() if other != key]
        photos = [labelled.enrolled[identity]] + [
            p.descriptor
            for p in labelled.genuine
            if p.identity == identity and p.descriptor is not None
        ]
        for descriptor in photos:
            _, best, margin = best_and_margin(descriptor, allowed=others)
            stranger_best.append(best)
            stranger_margin.append(margin)
    return Distances(
        *(
            np.asarray(values, dtype=np.float64)
            for values in (
                verify_genuine,
                verify_impostor,
                genuine_best,
                genuine_margin,
                genuine_right,
                stranger_best,
                stranger_margin,
            )
        )
    )


def choose(all_distances: list[Distances]) -> Thresholds:
    """The calibration rule of the module docstring, over every folder at once."""
    impostor = np.concatenate([d.verify_impostor for d in all_distances])
    strangers = np.concatenate([d.stranger_best for d in all_distances])
    margins = np.concatenate([d.stranger_margin for d in all_distances])
    sigma = float(impostor.std())
    verify = impostor.min() - VERIFY_SAFETY * sigma
    identify = min(verify, strangers.min() - IDENTIFY_SAFETY * sigma)
    margin = np.percentile(margins[np.isfinite(margins)], MARGIN_PERCENTILE)
    return Thresholds(
        verify=math.floor(verify * 100) / 100,
        identify=math.floor(identify * 100) / 100,
        margin=math.ceil(margin * 100) / 100,
    )


def quantiles(values: np.ndarray) -> list:
    finite = values[np.isfinite(values)]
    if not len(finite):
        return ["-"] * 5
    return [float(np.percentile(finite, q)) for q in (0, 5, 50, 95, 100)]


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="huiwu bench calibrate_faces")
    parser.add_argument("--faces", type=Path, action="append", help="labelled folder(s)")
    parser.add_argument("--engine", choices=ENGINES, action="append")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    console.width = max(console.width, 130)  # the tables are wide; never wrap them in a pipe
    folders = args.faces or FOLDERS
    report = {}
    for name in args.engine or ENGINES:
        engine = get_engine(name)
        started = time.monotonic()
        sets = {folder.name: load_labelled_set(engine, folder) for folder in folders}
        measured = {folder: distances(labelled) for folder, labelled in sets.items()}
        chosen = choose(list(measured.values()))
        sigma = float(np.concatenate([d.verify_impostor for d in measured.values()]).std())
        report[name] = {
            "thresholds": chosen.__dict__,
            "impostor_sigma": sigma,
            "current": engine.thresholds.__dict__,
            "seconds": round(time.monotonic() - started, 1),
            "folders": {
                folder: {
                    "chosen": accuracy(labelled, chosen),
                    "current": accuracy(labelled, engine.thresholds),
                    "refused": labelled.enrol_refused,
                    "closest_impostor_pair": float(measured[folder].verify_impostor.min()),
                    "closest_stranger": float(measured[folder].stranger_best.min()),
                    "strangers": len(measured[folder].stranger_best),
                }
                for folder, labelled in sets.items()
            },
        }
        if args.json:
            continue
        rows = []
        for folder, d in measured.items():
            for label, values in (
                ("1:1 genuine", d.verify_genuine),
                ("1:1 impostor", d.verify_impostor),
                ("1:N genuine best", d.genuine_best),
                ("1:N genuine margin", d.genuine_margin),
                ("1:N stranger best", d.stranger_best),
                ("1:N stranger margin", d.stranger_margin),
            ):
                rows.append(
                    [f"{folder}: {label}", len(values)]
                    + [f"{v:.3f}" if v != "-" else v for v in quantiles(values)]
                )
        table(
            f"{name}: distances (impostor sigma {sigma:.3f})",
            ["", "n", "min", "p5", "p50", "p95", "max"],
            rows,
        )
        rows = []
        for folder, figures in report[name]["folders"].items():
            for which in ("chosen", "current"):
                f = figures[which]
                rows.append(
                    [
                        f"{folder} ({which})",
                        f["enrolled"],
                        f["enrol_refused"],
                        f"{f['rank1']:.3f}",
                        f"{f['tar']:.3f}",
                        f"{f['misid']:.3f}",
                        f"{f['far']:.3f}",
                        f"{f['verify_far']:.4f}",
                        f"{f['verify_frr']:.3f}",
                    ]
                )
        table(
            f"{name}: chosen {chosen}, current {engine.thresholds}",
            ["folder", "enrolled", "refused", "rank1", "TAR", "misid", "FAR", "v-FAR", "v-FRR"],
            rows,
        )
    if args.json:
        print(json.dumps(report))
