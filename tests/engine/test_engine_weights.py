import numpy as np
import pytest
from pymcdm import weights as pw

from pingtai.engine import weights

RNG = np.random.default_rng(11)
MATRIX = RNG.uniform(0.5, 10.0, size=(30, 5))


def test_equal():
    np.testing.assert_allclose(weights.equal(4), [0.25] * 4)


def test_entropy_matches_pymcdm():
    np.testing.assert_allclose(weights.entropy(MATRIX), pw.entropy_weights(MATRIX))


def test_entropy_hand_example():
    # Column 1 identical → entropy 1 → weight 0; all weight on column 2.
    m = np.array([[1.0, 1.0], [1.0, 3.0]])
    np.testing.assert_allclose(weights.entropy(m), [0.0, 1.0])


def test_critic_matches_pymcdm():
    np.testing.assert_allclose(weights.critic(MATRIX), pw.critic_weights(MATRIX))


def test_ahp_consistent_matrix():
    a = np.array([[1, 2, 4], [1 / 2, 1, 2], [1 / 4, 1 / 2, 1]])
    w, cr = weights.ahp(a)
    np.testing.assert_allclose(w, [4 / 7, 2 / 7, 1 / 7])
    assert cr == pytest.approx(0.0, abs=1e-9)


def test_ahp_consistency_ratio_of_an_inconsistent_matrix():
    a = np.array([[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]])
    _, cr = weights.ahp(a)
    # λmax of this circulant matrix is 1 + 9 + 1/9; CI = (λ − 3)/2; RI(3) = 0.58.
    assert cr == pytest.approx(((1 + 9 + 1 / 9) - 3) / 2 / 0.58)


def test_pca_gives_equal_weights_to_perfectly_correlated_indicators():
    x = RNG.normal(size=50)
    np.testing.assert_allclose(weights.pca(np.column_stack([x, 2 * x + 1])), [0.5, 0.5])


def test_pca_weights_sum_to_one():
    w = weights.pca(MATRIX)
    assert w.sum() == pytest.approx(1.0) and (w > 0).all()


def test_objective_weights_fall_back_to_equal_when_undefined():
    np.testing.assert_allclose(weights.entropy(np.array([[1.0, 2.0]])), [0.5, 0.5])
    np.testing.assert_allclose(weights.critic(np.ones((5, 3))), [1 / 3] * 3)
    np.testing.assert_allclose(weights.pca(np.array([[1.0, 2.0], [3.0, 4.0]])), [0.5, 0.5])
    np.testing.assert_allclose(weights.normalised(np.zeros(4)), [0.25] * 4)
