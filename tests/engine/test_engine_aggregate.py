import numpy as np
import pytest
from pymcdm import normalizations as pn
from pymcdm.methods import TOPSIS

from pingtai.engine import aggregate, normalise
from pingtai.engine.methods import MinMax, Vector

N = np.array([[1.0, 0.5], [0.5, 2.0], [1.5, 1.5]])
W = np.array([0.6, 0.4])


def test_weighted_sum_by_hand():
    np.testing.assert_allclose(aggregate.weighted_sum(N, W), [0.8, 1.1, 1.5])


def test_geometric_by_hand_and_zero_kills_the_product():
    np.testing.assert_allclose(aggregate.geometric(N, W), [0.5**0.4, 0.5**0.6 * 2**0.4, 1.5])
    assert aggregate.geometric(np.array([[0.0, 3.0]]), W)[0] == 0.0


@pytest.mark.parametrize(
    "scoring, pymcdm_norm",
    [
        (Vector(kind="vector"), pn.vector_normalization),
        (MinMax(kind="minmax"), pn.minmax_normalization),
    ],
)
def test_topsis_matches_pymcdm(scoring, pymcdm_norm):
    rng = np.random.default_rng(5)
    x = rng.uniform(1, 100, size=(12, 4))
    types = np.array([1, 1, -1, 1])
    w = np.array([0.4, 0.3, 0.2, 0.1])
    g = np.zeros(12, dtype=np.int64)
    n = np.column_stack(
        [
            normalise.fit(
                scoring, "higher" if t == 1 else "lower", x[:, j], np.ones(12, bool), g, 1
            ).transform(x[:, j])
            for j, t in enumerate(types)
        ]
    )
    expected = TOPSIS(pymcdm_norm)(x, w, types)
    np.testing.assert_allclose(aggregate.topsis(n, w), expected)


def test_topsis_of_identical_alternatives_is_the_midpoint():
    np.testing.assert_allclose(aggregate.topsis(np.ones((3, 2)), W), [0.5, 0.5, 0.5])


def test_pillar_tree_by_hand():
    # Two pillars: {0, 1} weighted sum, {2} alone; pillar weights 0.7 / 0.3.
    n = np.array([[1.0, 0.0, 2.0]])
    eff = np.array([0.35, 0.35, 0.3])
    s = aggregate.Structure("weighted_sum", np.array([0, 0, 1]), ("weighted_sum", "weighted_sum"))
    assert s.score(n, eff)[0] == pytest.approx(0.7 * 0.5 + 0.3 * 2.0)
    geo = aggregate.Structure("geometric", np.array([0, 0, 1]), ("weighted_sum", "weighted_sum"))
    assert geo.score(n, eff)[0] == pytest.approx(0.5**0.7 * 2.0**0.3)
