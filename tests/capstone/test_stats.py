import math

import pytest

from mtlkit.capstone.stats import incomplete_beta, interval95, mean, paired, sd, t_cdf, t_quantile

# Two-sided 95% critical values of Student's t from the standard printed tables.
TABLE = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 10: 2.228, 20: 2.086, 30: 2.042, 120: 1.980}


@pytest.mark.parametrize(("df", "expected"), TABLE.items())
def test_t_quantile_matches_the_printed_table(df, expected):
    assert t_quantile(0.975, df) == pytest.approx(expected, abs=5e-4)


def test_t_quantile_is_symmetric_and_tends_to_the_normal():
    assert t_quantile(0.025, 7) == pytest.approx(-t_quantile(0.975, 7))
    assert t_quantile(0.975, 1e6) == pytest.approx(1.95996, abs=1e-4)


def test_t_cdf_with_one_degree_of_freedom_is_the_cauchy_cdf():
    for t in (-3.0, -0.5, 0.0, 1.0, 4.0):
        assert t_cdf(t, 1) == pytest.approx(0.5 + math.atan(t) / math.pi, abs=1e-10)


def test_incomplete_beta_of_ones_is_the_identity_and_bounds_hold():
    assert incomplete_beta(1, 1, 0.3) == pytest.approx(0.3)
    assert incomplete_beta(2, 3, 0.0) == 0.0 and incomplete_beta(2, 3, 1.0) == 1.0


def test_mean_sd_and_interval_by_hand():
    xs = [1.0, 2.0, 3.0]
    assert mean(xs) == 2.0 and sd(xs) == 1.0
    low, high = interval95(xs)
    half = 4.302653 / math.sqrt(3)  # t_{0.975, 2} * sd / sqrt(n)
    assert low == pytest.approx(2 - half, abs=1e-5) and high == pytest.approx(2 + half, abs=1e-5)


def test_one_value_has_no_sd_nor_interval():
    assert sd([0.5]) is None and interval95([0.5]) is None


def test_paired_difference_is_the_interval_of_the_per_seed_differences():
    # differences 0.01, 0.015, 0.01 (seed 3 has no partner and is left out)
    p = paired({0: 0.41, 1: 0.495, 2: 0.46, 3: 0.9}, {0: 0.40, 1: 0.48, 2: 0.45})
    assert p.seeds == 3 and p.difference == pytest.approx(0.035 / 3)
    assert p.interval == pytest.approx(interval95([0.01, 0.015, 0.01]))
    assert p.clear is True  # [+0.45, +1.88] points excludes 0


def test_a_gap_within_the_noise_is_not_clear():
    p = paired({0: 0.80, 1: 0.82, 2: 0.78}, {0: 0.81, 1: 0.79, 2: 0.80})
    assert p.clear is False and p.interval[0] < 0 < p.interval[1]


def test_one_seed_cannot_be_assessed_and_no_common_seed_is_nothing():
    p = paired({0: 0.9}, {0: 0.8, 1: 0.85})
    assert p.interval is None and p.clear is None and p.difference == pytest.approx(0.1)
    assert paired({0: 0.9}, {1: 0.8}) is None


def test_identical_gaps_on_every_seed_are_clear():
    assert paired({0: 0.5, 1: 0.6}, {0: 0.4, 1: 0.5}).clear is True
    assert paired({0: 0.5, 1: 0.6}, {0: 0.5, 1: 0.6}).clear is False
