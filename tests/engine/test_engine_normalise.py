import numpy as np
import pytest
from pymcdm import normalizations as pn

from pingtai.engine import normalise
from pingtai.engine.methods import (
    Band,
    Banded,
    Benchmark,
    BenchmarkRatio,
    MinMax,
    PercentileRank,
    Target,
    Vector,
    ZScore,
)

X = np.array([2.0, 4.0, 6.0, 8.0, np.nan])
VALID = ~np.isnan(X)
G0 = np.zeros(5, dtype=np.int64)


def n_of(spec, x=X, g=G0, direction="higher", n_groups=1, **kw):
    valid = ~np.isnan(x)
    return normalise.fit(spec, direction, x, valid, g, n_groups, **kw).transform(x)


def br(kind, **kw):
    return BenchmarkRatio(kind="benchmark_ratio", benchmark=Benchmark(kind=kind, **kw))


def test_fixed_benchmark_ratio():
    np.testing.assert_allclose(n_of(br("fixed", value=4.0))[:4], [0.5, 1.0, 1.5, 2.0])
    assert np.isnan(n_of(br("fixed", value=4.0))[4])


def test_lower_is_better_benchmark_ratio_inverts():
    np.testing.assert_allclose(
        n_of(br("fixed", value=4.0), direction="lower")[:4], [2.0, 1.0, 4 / 6, 0.5]
    )


def test_population_benchmarks():
    np.testing.assert_allclose(n_of(br("mean"))[:4], X[:4] / 5.0)  # mean of 2,4,6,8 = 5
    np.testing.assert_allclose(n_of(br("mean", k=2.0))[:4], X[:4] / 10.0)  # 淮安: 2 × mean
    np.testing.assert_allclose(n_of(br("median"))[:4], X[:4] / 5.0)
    np.testing.assert_allclose(n_of(br("percentile", q=25.0))[:4], X[:4] / 3.5)  # numpy linear


def test_group_benchmarks_use_each_group_separately():
    x = np.array([1.0, 3.0, 10.0, 30.0])
    g = np.array([0, 0, 1, 1])
    np.testing.assert_allclose(n_of(br("mean"), x=x, g=g, n_groups=2), [0.5, 1.5, 0.5, 1.5])


def test_ratio_of_sums_benchmark_is_the_area_figure():
    # docs/methods.md §4: Σ tax ÷ Σ land, not the mean of the ratios.
    tax = np.array([10.0, 90.0])
    land = np.array([10.0, 30.0])
    x = tax / land  # 1 and 3; mean of ratios = 2, ratio of sums = 2.5
    f = normalise.fit(
        br("ratio_of_sums"), "higher", x, np.ones(2, bool), np.zeros(2, np.int64), 1, tax, land, 1.0
    )
    assert f.benchmark()[0] == pytest.approx(2.5)
    np.testing.assert_allclose(f.transform(x), [0.4, 1.2])


def test_minmax_and_the_jingde_20_plus_80_scaling():
    np.testing.assert_allclose(n_of(MinMax(kind="minmax"))[:4], [0, 1 / 3, 2 / 3, 1])
    # 旌德: weight × [20 + 80 × (x − min)/(max − min)] / 100
    np.testing.assert_allclose(
        n_of(MinMax(kind="minmax", low=0.2, high=1.0))[:4], [0.2, 0.2 + 0.8 / 3, 0.2 + 1.6 / 3, 1.0]
    )
    np.testing.assert_allclose(
        n_of(MinMax(kind="minmax"), direction="lower")[:4], [1, 2 / 3, 1 / 3, 0]
    )


@pytest.mark.parametrize("direction", ["higher", "lower"])
def test_minmax_and_vector_match_pymcdm(direction):
    x = np.array([3.0, 7.5, 1.2, 9.9, 4.4])
    g = np.zeros(5, dtype=np.int64)
    cost = direction == "lower"
    np.testing.assert_allclose(
        n_of(MinMax(kind="minmax"), x=x, g=g, direction=direction), pn.minmax_normalization(x, cost)
    )
    np.testing.assert_allclose(
        n_of(Vector(kind="vector"), x=x, g=g, direction=direction), pn.vector_normalization(x, cost)
    )


def test_zscore():
    z = (X[:4] - 5.0) / np.std(X[:4])
    np.testing.assert_allclose(n_of(ZScore(kind="zscore"))[:4], z)
    np.testing.assert_allclose(
        n_of(ZScore(kind="zscore", center=1.0, scale=0.1))[:4], 1.0 + 0.1 * z
    )


def test_percentile_rank_is_the_share_at_or_below():
    x = np.array([5.0, 1.0, 5.0, 3.0])
    g = np.zeros(4, dtype=np.int64)
    np.testing.assert_allclose(
        n_of(PercentileRank(kind="percentile"), x=x, g=g), [1.0, 0.25, 1.0, 0.5]
    )
    np.testing.assert_allclose(
        n_of(PercentileRank(kind="percentile"), x=x, g=g, direction="lower"), [0.5, 1.0, 0.5, 0.75]
    )


def test_percentile_rank_within_groups():
    x = np.array([1.0, 2.0, 100.0, 50.0])
    g = np.array([0, 0, 1, 1])
    np.testing.assert_allclose(
        n_of(PercentileRank(kind="percentile"), x=x, g=g, n_groups=2), [0.5, 1.0, 1.0, 0.5]
    )


def test_distance_to_target_is_clipped():
    np.testing.assert_allclose(
        n_of(Target(kind="target", target=6.0, baseline=2.0))[:4], [0, 0.5, 1, 1]
    )


def test_banded_step_table():
    # 智慧园区 style: ≥ 1500 full marks, 800–1500 80 %, below 0.
    spec = Banded(
        kind="banded", bands=[Band(threshold=1500, value=1.0), Band(threshold=800, value=0.8)]
    )
    x = np.array([2000.0, 1500.0, 1000.0, 799.0, np.nan])
    out = n_of(spec, x=x)
    np.testing.assert_allclose(out[:4], [1.0, 1.0, 0.8, 0.0])
    assert np.isnan(out[4])


def test_cap_and_floor_bound_the_normalised_value():
    n = np.array([-0.5, 0.5, 2.0, np.nan])
    out = normalise.bound(n, 1.5, 0.0)
    np.testing.assert_allclose(out[:3], [0.0, 0.5, 1.5])
    assert np.isnan(out[3])


def test_group_quantile_matches_numpy():
    rng = np.random.default_rng(1)
    x = rng.normal(size=200)
    g = rng.integers(0, 3, 200)
    q = normalise.group_quantile(x, np.ones(200, bool), g, 3, 37.0)
    np.testing.assert_allclose(q, [np.percentile(x[g == i], 37.0) for i in range(3)])
