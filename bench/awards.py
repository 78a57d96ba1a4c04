"""``huiwu bench awards``: expert affinity and review assignment, at the summit's size and at
the size of the largest conferences.

1. Affinity quality: on the labelled bilingual corpus of ``_awards_corpus`` (6 tracks, experts
   with 3-5 documents in Chinese and/or English, submissions in either language, five random
   draws), precision@1/3/5 of each tokenisation x combination: the share of each submission's
   top experts whose own track is the submission's.
2. Assignment, Leading Technology Awards size: 270 submissions x 40 experts x 3 each, loads
   18-24, 3% of pairs conflicted; plain and fair, and by track (each expert reviews only in
   their own track and one other).
3. Affinity at scale: top-k candidate experts for 10,000 submissions among 15,000 experts'
   documents (3-5 each), batched sparse products.
4. Assignment at scale: those candidates, 4 experts each, loads at most 6; plain and fair.

Each assignment row: wall time, total affinity against each submission's best k (and the LP
relaxation where run), the lowest affinity of any pair (what the fair variant raises), the mean
and the worst per-submission mean affinity, load spread, violations
(recounted from the pairs; must be 0). ``--quick`` runs everything at a tenth of the size.
"""

import argparse
import json
import os
import random
import time

import numpy as np
import scipy.sparse as sp
from _awards_corpus import build
from _common import console, table

from huiwu.awards.affinity import (
    DEFAULT_COMBINE,
    DEFAULT_TOKENS,
    TOKENS,
    AffinityUnavailable,
    affinity,
    top_k_affinity,
)
from huiwu.awards.assignment import Problem, assign, lp_relaxation

COMBINES = ("max", "mean", "top2", "top3")
SEEDS = (1, 2, 3, 4, 5)


def precision(scores: np.ndarray, expert_tracks, submission_tracks, ks=(1, 3, 5)) -> list[float]:
    order = np.argsort(-scores, axis=0, kind="stable")
    truth = np.array(expert_tracks)[order] == np.array(submission_tracks)
    return [float(truth[:k].mean()) for k in ks]


def affinity_quality() -> list[dict]:
    corpora = [build(seed=seed) for seed in SEEDS]
    variants = [("tfidf", tokens) for tokens in TOKENS] + [("embedding", "-")]
    rows = []
    for method, tokens in variants:
        for combine in COMBINES:
            try:
                values = [
                    precision(
                        affinity(
                            c.expert_documents,
                            c.submission_texts,
                            method=method,
                            combine=combine,
                            tokens=tokens if method == "tfidf" else DEFAULT_TOKENS,
                        ),
                        c.expert_tracks,
                        c.submission_tracks,
                    )
                    for c in corpora
                ]
            except AffinityUnavailable:
                rows.append({"method": method, "tokens": tokens, "combine": combine, "p": None})
                continue
            rows.append(
                {
                    "method": method,
                    "tokens": tokens,
                    "combine": combine,
                    "p": [float(v) for v in np.mean(values, axis=0)],
                }
            )
    return rows


def solve(name: str, problem: Problem, *, fair: bool, lp: bool) -> dict:
    started = time.perf_counter()
    result = assign(problem, fair=fair)
    seconds = time.perf_counter() - started
    row = {
        "case": name,
        "fair": fair,
        "seconds": seconds,
        "objective": result.objective,
        "best_k_bound": result.upper_bound,
        "lp_bound": None,
        "min_affinity": result.min_affinity,
        "mean_affinity": result.mean_affinity,
        "worst_submission_mean": float(np.nanmin(result.submission_mean)),
        "loads": result.load_spread,
        "violations": len(result.violations),
        "flows": result.stats["flows"],
    }
    if lp:
        started = time.perf_counter()
        row["lp_bound"] = lp_relaxation(problem) if not fair else None
        row["lp_seconds"] = time.perf_counter() - started
    return row


def random_conflicts(rng: random.Random, experts: int, submissions: int, share: float) -> set:
    count = int(share * experts * submissions)
    return {(rng.randrange(experts), rng.randrange(submissions)) for _ in range(count)}


def summit_size(scale: float) -> list[dict]:
    submissions_per_track = max(2, round(45 * scale))
    experts = max(30, round(40 * scale))
    corpus = build(
        experts_per_track=-(-experts // 6), submissions_per_track=submissions_per_track, seed=11
    )
    documents, expert_tracks = corpus.expert_documents[:experts], corpus.expert_tracks[:experts]
    scores = affinity(documents, corpus.submission_texts)
    n_submissions = len(corpus.submission_texts)
    demand = 3 * n_submissions
    low, high = (demand // experts) - 2, -(-demand // experts) + 3
    conflicts = random_conflicts(random.Random(11), experts, n_submissions, 0.03)
    plain = Problem(scores, k=3, min_load=low, max_load=high, conflicts=conflicts)
    names = sorted(set(corpus.submission_tracks))
    by_track = Problem(
        scores,
        k=3,
        max_load=high + 2,
        conflicts=conflicts,
        tracks=[names.index(t) for t in corpus.submission_tracks],
        # Each expert serves in their own track and in the next one.
        expert_tracks=[{names.index(t), (names.index(t) + 1) % len(names)} for t in expert_tracks],
        track_names=names,
    )
    label = f"{n_submissions} x {experts} x 3"
    return [
        solve(label, plain, fair=False, lp=True),
        solve(label, plain, fair=True, lp=False),
        solve(label + " by track", by_track, fair=False, lp=True),
        solve(label + " by track", by_track, fair=True, lp=False),
    ]


def conference_size(scale: float, candidates: int, lp: bool) -> tuple[dict, list[dict]]:
    experts_per_track = round(2500 * scale)
    submissions_per_track = round(1667 * scale)
    corpus = build(
        experts_per_track=experts_per_track, submissions_per_track=submissions_per_track, seed=3
    )
    n_experts, n_submissions = len(corpus.expert_documents), len(corpus.submission_texts)
    started = time.perf_counter()
    matrix = top_k_affinity(corpus.expert_documents, corpus.submission_texts, candidates)
    seconds = time.perf_counter() - started
    best = matrix.argmax(axis=0).A1 if sp.issparse(matrix) else matrix.argmax(axis=0)
    hits = np.array(corpus.expert_tracks)[best] == np.array(corpus.submission_tracks)
    timing = {
        "submissions": n_submissions,
        "experts": n_experts,
        "documents": sum(len(d) for d in corpus.expert_documents),
        "candidates": candidates,
        "seconds": seconds,
        "precision_at_1": float(hits.mean()),
    }
    # Two declared conflicts per submission among its candidates.
    rng = np.random.default_rng(3)
    coo = sp.coo_matrix(matrix)
    picks = rng.choice(coo.nnz, size=2 * n_submissions, replace=False)
    conflicts = set(zip(coo.row[picks].tolist(), coo.col[picks].tolist(), strict=True))
    problem = Problem(matrix, k=4, max_load=6, conflicts=conflicts)
    label = f"{n_submissions} x {n_experts} x 4"
    rows = [
        solve(label, problem, fair=False, lp=lp),
        solve(label, problem, fair=True, lp=False),
    ]
    return timing, rows


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="huiwu bench awards", description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--quick", action="store_true", help="a tenth of the size")
    parser.add_argument(
        "--candidates", type=int, default=25, help="candidate experts per submission at scale"
    )
    parser.add_argument(
        "--no-lp", action="store_true", help="skip the LP relaxation at conference scale"
    )
    args = parser.parse_args(argv)
    scale = 0.1 if args.quick else 1.0
    figures = {"cpus": os.cpu_count(), "load": os.getloadavg()[0]}
    figures["affinity_quality"] = affinity_quality()
    figures["summit"] = summit_size(scale)
    figures["affinity_at_scale"], figures["conference"] = conference_size(
        scale, args.candidates, lp=not args.no_lp
    )
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    console.width = max(console.width, 150)  # the assignment table is wide
    quality = figures["affinity_quality"]
    table(
        "Affinity: precision@k of true-track experts (labelled bilingual corpus, 5 draws)",
        ["method", "tokens", "combine", "P@1", "P@3", "P@5"],
        [
            [r["method"], r["tokens"], r["combine"]]
            + ([f"{v:.3f}" for v in r["p"]] if r["p"] else ["not installed", "", ""])
            for r in quality
        ],
    )
    chosen = max((r for r in quality if r["p"]), key=lambda r: (r["p"][1], r["p"][0]))
    print(
        f"best by P@3: {chosen['method']} {chosen['tokens']} {chosen['combine']}; "
        f"default: tfidf {DEFAULT_TOKENS} {DEFAULT_COMBINE}"
    )
    timing = figures["affinity_at_scale"]
    table(
        "Affinity at scale (top-k candidates per submission)",
        ["submissions", "experts", "documents", "candidates", "seconds", "P@1"],
        [
            [
                timing["submissions"],
                timing["experts"],
                timing["documents"],
                timing["candidates"],
                f"{timing['seconds']:.1f}",
                f"{timing['precision_at_1']:.3f}",
            ]
        ],
    )
    table(
        f"Assignment ({figures['cpus']} CPUs, load average {figures['load']:.1f} at start)",
        [
            "case",
            "variant",
            "seconds",
            "total",
            "best-k bound",
            "LP bound",
            "lowest pair",
            "mean",
            "worst sub. mean",
            "loads",
            "violations",
            "LP s",
        ],
        [
            [
                r["case"],
                "fair" if r["fair"] else "plain",
                f"{r['seconds']:.2f}",
                f"{r['objective']:.2f}",
                f"{r['best_k_bound']:.2f}",
                "-" if r["lp_bound"] is None else f"{r['lp_bound']:.2f}",
                f"{r['min_affinity']:.3f}",
                f"{r['mean_affinity']:.3f}",
                f"{r['worst_submission_mean']:.3f}",
                f"{r['loads'][0]}-{r['loads'][1]}",
                r["violations"],
                f"{r['lp_seconds']:.1f}" if "lp_seconds" in r else "-",
            ]
            for r in figures["summit"] + figures["conference"]
        ],
    )
