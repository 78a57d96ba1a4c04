"""Selection of volunteers under quotas: the optimum, the explanations, the named conflicts."""

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huiwu.volunteers.selection import Candidate, Quota, SelectionError, select


def cand(key, score, university="ZJU", languages=None, post_types=()):
    return Candidate(key, score, university, languages or {"en": 3}, frozenset(post_types))


def test_without_quotas_the_best_scores_are_selected_and_the_next_are_reserves():
    candidates = [cand(k, score) for k, score in enumerate([50, 90, 70, 80, 60, 40])]
    result = select(candidates, 3, reserve_ratio=0.34)
    assert result.selected == (1, 3, 2)
    assert result.reserve == (4,)
    assert result.status == "optimal"
    assert result.total_score == 240
    assert result.cutoff == 70
    decisions = {key: (e.decision, e.code) for key, e in result.explanations.items()}
    assert decisions == {
        1: ("selected", "top_score"),
        3: ("selected", "top_score"),
        2: ("selected", "top_score"),
        4: ("reserve", "below_cutoff"),
        0: ("not_selected", "below_cutoff"),
        5: ("not_selected", "below_cutoff"),
    }
    assert result.explanations[4].params == {
        "rank": 4,
        "score": 60,
        "cutoff": 70.0,
        "n": 3,
        "reserve_rank": 1,
    }


def test_a_minimum_quota_forces_a_lower_score_in():
    candidates = [
        cand(1, 90),
        cand(2, 85),
        cand(3, 80),
        cand(4, 60, languages={"fr": 4}),
    ]
    quotas = [Quota("language", "fr", minimum=1, min_level=3)]
    result = select(candidates, 2, quotas, reserve_ratio=0)
    assert set(result.selected) == {1, 4}
    assert result.quota_counts == (1,)
    assert result.explanations[4].code == "quota_minimum"
    assert result.explanations[4].params == {
        "rank": 4,
        "score": 60,
        "cutoff": 60.0,
        "n": 2,
        "quota": 0,
        "kind": "language",
        "value": "fr",
        "min_level": 3,
        "minimum": 1,
        "maximum": None,
    }
    assert result.explanations[2].code == "displaced_by_quota_minimum"
    assert result.explanations[3].code == "displaced_by_quota_minimum"


def test_the_language_bar_counts_only_candidates_at_the_level():
    candidates = [
        cand(1, 90, languages={"en": 3}),  # below CET-6
        cand(2, 80, languages={"en": 3}),
        cand(3, 50, languages={"en": 4}),  # CET-6
    ]
    quotas = [Quota("language", "en", minimum=1, min_level=4)]
    assert set(select(candidates, 2, quotas).selected) == {1, 3}
    with pytest.raises(SelectionError) as error:
        select(candidates, 2, [Quota("language", "en", minimum=2, min_level=4)])
    assert error.value.code == "quota_minimum_unreachable"
    assert error.value.params["qualifying"] == 1
    assert (
        str(error.value)
        == "quota 'language en ≥ level 4: at least 2' but only 1 candidates qualify"
    )


def test_a_full_maximum_quota_frees_a_place_for_the_next_candidate():
    candidates = [
        cand(1, 90, "ZJU"),
        cand(2, 85, "ZJU"),
        cand(3, 70, "HZNU"),
        cand(4, 60, "ZJUT"),
    ]
    result = select(candidates, 2, [Quota("university", "ZJU", maximum=1)], reserve_ratio=0.5)
    assert result.selected == (1, 3)
    assert result.explanations[3].code == "freed_by_quota_maximum"
    assert result.explanations[2].code == "quota_maximum"
    assert result.explanations[2].decision == "reserve"
    assert result.explanations[2].params["value"] == "ZJU"
    assert result.explanations[4].code == "below_cutoff"


def test_post_type_quota_and_equal_scores_at_the_cutoff():
    candidates = [
        cand(1, 80, post_types={"interpreter"}),
        cand(2, 70),
        cand(3, 70),
        cand(4, 70),
    ]
    result = select(candidates, 2, [Quota("post_type", "interpreter", minimum=1)])
    assert result.selected == (1, 2)  # equal scores: the lower key first
    assert result.explanations[3].code == "tie_at_cutoff"


def test_two_interview_rounds_are_two_calls_on_the_shortlist():
    candidates = [cand(k, score) for k, score in enumerate([10, 20, 30, 40, 50, 60])]
    shortlist = select(candidates, 4, reserve_ratio=0).selected
    # Second round: new scores after interviews, only for the shortlisted.
    interviewed = [cand(k, 100 - 10 * k) for k in shortlist]
    assert select(interviewed, 2, reserve_ratio=0).selected == (2, 3)


def test_conflicting_maxima_are_named_minimally():
    candidates = [cand(k, 50 + k, university=["A", "B", "C"][k % 3]) for k in range(12)]
    quotas = [
        Quota("university", "A", maximum=2),
        Quota("university", "B", maximum=2),
        Quota("language", "en", minimum=0),  # no bound: never part of a conflict
        Quota("university", "C", minimum=1, maximum=1),
    ]
    with pytest.raises(SelectionError) as error:
        select(candidates, 6, quotas)
    assert error.value.code == "quotas_conflict"
    assert error.value.params == {"quotas": [0, 1, 3], "n": 6}
    assert "'university A: at most 2'" in str(error.value)


def test_maxima_that_leave_nobody_selectable_are_named():
    candidates = [cand(1, 5), cand(2, 6, university="HZNU")]
    quotas = [Quota("university", "ZJU", maximum=0), Quota("university", "HZNU", maximum=0)]
    with pytest.raises(SelectionError) as error:
        select(candidates, 1, quotas)
    assert error.value.params == {"quotas": [0, 1], "n": 1}


def test_minimum_above_the_number_to_select_is_named():
    candidates = [cand(k, k, languages={"en": 5}) for k in range(10)]
    with pytest.raises(SelectionError) as error:
        select(candidates, 3, [Quota("language", "en", minimum=4)])
    assert error.value.code == "quota_minimum_above_n"
    assert error.value.params["n"] == 3


@pytest.mark.parametrize(
    ("n", "quotas", "candidates", "code"),
    [
        (0, [], [cand(1, 1)], "n_not_positive"),
        (True, [], [cand(1, 1)], "n_not_positive"),
        (3, [], [cand(1, 1), cand(2, 2)], "not_enough_candidates"),
        (1, [], [cand(1, 1), cand(1, 2)], "duplicate_candidate"),
        (1, [], [cand(1, float("nan"))], "invalid_score"),
        (1, [Quota("gender", "f")], [cand(1, 1)], "unknown_quota_kind"),
        (1, [Quota("university", "ZJU", minimum=2, maximum=1)], [cand(1, 1)], "invalid_quota"),
        (1, [Quota("university", "ZJU", minimum=-1)], [cand(1, 1)], "invalid_quota"),
    ],
)
def test_bad_input_is_refused_with_a_code(n, quotas, candidates, code):
    with pytest.raises(SelectionError) as error:
        select(candidates, n, quotas)
    assert error.value.code == code


def test_a_negative_reserve_ratio_is_refused():
    with pytest.raises(SelectionError) as error:
        select([cand(1, 1)], 1, reserve_ratio=-0.1)
    assert error.value.code == "invalid_reserve_ratio"


UNIVERSITIES = ["ZJU", "HZNU", "ZJUT"]
candidate_lists = st.lists(
    st.builds(
        lambda score, uni, en, fr, guide: (score, uni, en, fr, guide),
        st.integers(0, 20),
        st.sampled_from(UNIVERSITIES),
        st.integers(1, 5),
        st.integers(0, 5),
        st.booleans(),
    ),
    min_size=1,
    max_size=9,
)
quota_lists = st.lists(
    st.one_of(
        st.builds(
            lambda value, low, high: Quota("university", value, low, low + high),
            st.sampled_from(UNIVERSITIES),
            st.integers(0, 3),
            st.integers(0, 3),
        ),
        st.builds(
            lambda value, low, level: Quota("language", value, minimum=low, min_level=level),
            st.sampled_from(["en", "fr"]),
            st.integers(0, 3),
            st.integers(1, 5),
        ),
        st.builds(
            lambda high: Quota("post_type", "guide", maximum=high),
            st.integers(0, 4),
        ),
    ),
    max_size=4,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=candidate_lists, quotas=quota_lists, n=st.integers(1, 6))
def test_selection_equals_brute_force_optimum(rows, quotas, n):
    candidates = [
        Candidate(
            key,
            float(score),
            uni,
            {"en": en, **({"fr": fr} if fr else {})},
            frozenset({"guide"}) if guide else frozenset(),
        )
        for key, (score, uni, en, fr, guide) in enumerate(rows)
    ]

    def feasible(chosen):
        return all(
            quota.minimum
            <= sum(quota.admits(c) for c in chosen)
            <= (quota.maximum if quota.maximum is not None else len(chosen))
            for quota in quotas
        )

    best = max(
        (
            sum(c.score for c in chosen)
            for chosen in itertools.combinations(candidates, n)
            if feasible(chosen)
        ),
        default=None,
    )
    if best is None:
        with pytest.raises(SelectionError):
            select(candidates, n, quotas)
        return
    result = select(candidates, n, quotas)
    assert result.status == "optimal"
    assert result.total_score == best
    chosen = [c for c in candidates if c.key in result.selected]
    assert len(chosen) == n and feasible(chosen)
    assert set(result.explanations) == {c.key for c in candidates}
    assert {e.decision for e in result.explanations.values()} <= {
        "selected",
        "reserve",
        "not_selected",
    }
    assert not set(result.reserve) & set(result.selected)
