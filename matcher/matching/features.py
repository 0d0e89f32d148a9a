"""Turn frames into the vectors and per-row arrays that block scoring reads."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from matcher.matching.config import EngineConfig
from matcher.matching.frames import PeopleFrame, PlacementFrame, day_number

# Stand-ins for unknown coordinates (km): people and placements sit on opposite sides, so a
# pair with either end unknown is never within a travel limit and is reachable only remotely.
MISSING_PERSON_KM = 1.0e6
MISSING_PLACEMENT_KM = -1.0e6


@dataclass(frozen=True, slots=True, eq=False)
class Fitted:
    """Everything precomputed from the two frames; read-only while scoring."""

    # Person side.
    p_u: NDArray[np.float32]  # weighted dense vector: themes, text, bridging, minus dismissals
    p_themes: NDArray[np.float32]  # unit theme vectors
    p_theme_norm: NDArray[np.float64]  # 1 / sqrt(number of themes), 0 for none
    p_skill_norm: NDArray[np.float64]
    p_has_dismissed: NDArray[np.bool_]
    p_text: NDArray[np.float32]  # unit text vectors
    p_dismissed: NDArray[np.float32]  # sum of dismissed placements' [themes, text]
    p_skills: sp.csr_matrix  # unit skill vectors
    p_theme_sets: sp.csr_matrix  # binary themes, for shared-theme evidence
    p_skill_sets: sp.csr_matrix
    p_dismissed_pairs: sp.csr_matrix  # people x placements, 1 where "not for me"
    p_e: NDArray[np.float32]
    p_n: NDArray[np.float32]
    p_lim2: NDArray[np.float32]
    p_inv_lim: NDArray[np.float32]
    p_remote_ok: NDArray[np.bool_]
    p_from: NDArray[np.int32]
    p_until: NDArray[np.int32]
    p_anchor: NDArray[np.int32]  # first day the person could start: max(available_from, today)
    p_grade: NDArray[np.int16]
    p_wanted: NDArray[np.uint8]
    p_discoverable: NDArray[np.bool_]
    p_policy: NDArray[np.bool_]
    # Placement side.
    q_v: NDArray[np.float32]  # dense vector: themes, text, bridging
    q_themes: NDArray[np.float32]
    q_theme_norm: NDArray[np.float64]
    q_skill_norm: NDArray[np.float64]
    q_text: NDArray[np.float32]
    q_skills: sp.csr_matrix
    q_theme_sets: sp.csr_matrix
    q_skill_sets: sp.csr_matrix
    q_e: NDArray[np.float32]
    q_n: NDArray[np.float32]
    q_remote: NDArray[np.bool_]
    q_start: NDArray[np.int32]
    q_end: NDArray[np.int32]
    q_eligible: NDArray[np.bool_]  # open and not past its closing date
    q_gmin: NDArray[np.int16]
    q_gmax: NDArray[np.int16]
    q_kind: NDArray[np.uint8]
    q_local: NDArray[np.bool_]
    # Vocabularies mapping matrix columns back to taxonomy ids.
    theme_ids: NDArray[np.int64]
    skill_ids: NDArray[np.int64]


def _sets_matrix(sets: list[frozenset[int]], vocab: dict[int, int]) -> sp.csr_matrix:
    """Binary CSR of id sets over ``vocab`` columns (ids outside it are dropped)."""
    cols = [sorted(vocab[x] for x in s if x in vocab) for s in sets]
    indptr = np.zeros(len(sets) + 1, np.int64)
    indptr[1:] = np.cumsum([len(c) for c in cols])
    indices = np.fromiter((c for row in cols for c in row), np.int32, count=int(indptr[-1]))
    data = np.ones(len(indices), np.float32)
    return sp.csr_matrix((data, indices, indptr), shape=(len(sets), len(vocab)))


def _vocabulary(*groups: list[frozenset[int]]) -> NDArray[np.int64]:
    return np.array(sorted(set().union(*(s for g in groups for s in g))), np.int64)


def _text_vectors(
    about: list[str], texts: list[str], config: EngineConfig
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Unit text vectors: TF-IDF, reduced by LSA when the vocabulary is larger than text_dims."""
    vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True, dtype=np.float32)
    try:
        # One pass over both corpora: tokenising is most of the cost of fitting.
        both = vectorizer.fit_transform(texts + about).tocsr()
    except ValueError:  # no words at all: every text similarity is zero
        return np.zeros((len(about), 1), np.float32), np.zeros((len(texts), 1), np.float32)
    q, p = both[: len(texts)], both[len(texts) :]
    if p.shape[1] <= config.text_dims:
        return p.toarray(), q.toarray()
    # LSA fitted on the placements: they define what there is to match against.
    svd = TruncatedSVD(config.text_dims, algorithm="randomized", random_state=config.seed)
    svd.fit(q)
    p_lsa = normalize(svd.transform(p)).astype(np.float32)
    q_lsa = normalize(svd.transform(q)).astype(np.float32)
    return p_lsa, q_lsa


def _inverse_root_sizes(sets: sp.csr_matrix) -> NDArray[np.float64]:
    sizes = np.diff(sets.indptr).astype(np.float64)
    return np.divide(1.0, np.sqrt(sizes), out=np.zeros_like(sizes), where=sizes > 0)


def _unit(sets: sp.csr_matrix) -> sp.csr_matrix:
    """Binary rows scaled to unit length (rows without ids stay zero)."""
    scale = _inverse_root_sizes(sets).astype(np.float32)
    return sp.csr_matrix(sp.diags(scale) @ sets, dtype=np.float32)


def _km(values: NDArray[np.float64], missing: float) -> NDArray[np.float32]:
    return np.where(np.isnan(values), missing, values / 1000.0).astype(np.float32)


def fit(people: PeopleFrame, placements: PlacementFrame, config: EngineConfig) -> Fitted:
    """Precompute vectors and arrays for both sides."""
    w = config.weights
    today = day_number(config.reference_date(), 0)

    theme_ids = _vocabulary(people.themes, placements.themes)
    skill_ids = _vocabulary(people.skills, placements.skills)
    theme_vocab = {int(t): i for i, t in enumerate(theme_ids)}
    skill_vocab = {int(s): i for i, s in enumerate(skill_ids)}
    p_theme_sets = _sets_matrix(people.themes, theme_vocab)
    q_theme_sets = _sets_matrix(placements.themes, theme_vocab)
    p_skill_sets = _sets_matrix(people.skills, skill_vocab)
    q_skill_sets = _sets_matrix(placements.skills, skill_vocab)
    # Cosine (Ochiai) overlap: shared / sqrt(|A| |B|), a dot product of unit vectors.
    p_themes = _unit(p_theme_sets).toarray()
    q_themes = _unit(q_theme_sets).toarray()
    p_skills = _unit(p_skill_sets)
    q_skills = _unit(q_skill_sets)
    p_text, q_text = _text_vectors(people.about, placements.text, config)

    # "Not for me": dismissed pairs are filtered; the sum of their theme and text vectors is
    # subtracted from the person's vector so that look-alike placements score lower.
    position = {int(pid): j for j, pid in enumerate(placements.ids)}
    rows = [i for i, d in enumerate(people.dismissed) for pid in d if pid in position]
    cols = [position[pid] for d in people.dismissed for pid in d if pid in position]
    dismissed_pairs = sp.csr_matrix(
        (np.ones(len(rows), np.int8), (rows, cols)), shape=(len(people), len(placements))
    )
    dismissed_pairs.sum_duplicates()
    q_similarity = np.hstack([q_themes, q_text])
    p_dismissed = (dismissed_pairs.astype(np.float32) @ q_similarity).astype(np.float32)

    policy = people.policy_profession
    p_u = np.hstack(
        [
            w.themes * p_themes,
            w.text * p_text,
            np.full((len(people), 1), w.bridging, np.float32),
            (w.bridging * config.policy_bridging_extra * policy)[:, None],
        ]
    ).astype(np.float32)
    p_u[:, : q_similarity.shape[1]] -= 0.5 * w.not_for_me * p_dismissed
    local = placements.local.astype(np.float32)[:, None]
    q_v = np.hstack([q_themes, q_text, local, local]).astype(np.float32)

    limit = people.travel_limit_km.astype(np.float64)
    return Fitted(
        p_u=np.ascontiguousarray(p_u),
        p_themes=p_themes,
        p_theme_norm=_inverse_root_sizes(p_theme_sets),
        p_skill_norm=_inverse_root_sizes(p_skill_sets),
        p_has_dismissed=np.diff(dismissed_pairs.indptr) > 0,
        p_text=p_text,
        p_dismissed=p_dismissed,
        p_skills=p_skills,
        p_theme_sets=p_theme_sets,
        p_skill_sets=p_skill_sets,
        p_dismissed_pairs=dismissed_pairs,
        p_e=_km(people.easting, MISSING_PERSON_KM),
        p_n=_km(people.northing, MISSING_PERSON_KM),
        p_lim2=(limit * limit).astype(np.float32),
        # A zero limit still lets a placement at the person's own location count as near.
        p_inv_lim=(1.0 / np.maximum(limit, 1e-3)).astype(np.float32),
        p_remote_ok=people.remote_ok.copy(),
        p_from=np.clip(people.available_from, -(2**30), 2**30).astype(np.int32),
        p_until=np.clip(people.available_until, -(2**30), 2**30).astype(np.int32),
        p_anchor=np.maximum(people.available_from, today).astype(np.int32),
        p_grade=people.grade_rank.astype(np.int16),
        p_wanted=people.wanted_kinds.astype(np.uint8),
        p_discoverable=people.discoverable.copy(),
        p_policy=policy.copy(),
        q_v=np.ascontiguousarray(q_v),
        q_themes=q_themes,
        q_theme_norm=_inverse_root_sizes(q_theme_sets),
        q_skill_norm=_inverse_root_sizes(q_skill_sets),
        q_text=q_text,
        q_skills=q_skills,
        q_theme_sets=q_theme_sets,
        q_skill_sets=q_skill_sets,
        q_e=_km(placements.easting, MISSING_PLACEMENT_KM),
        q_n=_km(placements.northing, MISSING_PLACEMENT_KM),
        q_remote=placements.remote_possible.copy(),
        q_start=placements.start_date.astype(np.int32),
        q_end=placements.end_date.astype(np.int32),
        q_eligible=placements.is_open & (placements.closing_date >= today),
        q_gmin=placements.grade_min_rank.astype(np.int16),
        q_gmax=placements.grade_max_rank.astype(np.int16),
        q_kind=placements.kind_bit.astype(np.uint8),
        q_local=placements.local.copy(),
        theme_ids=theme_ids,
        skill_ids=skill_ids,
    )
