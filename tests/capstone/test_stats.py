import math

import pytest

from mtlkit.capstone.stats import incomplete_beta, interval95, mean, sd, t_cdf, t_quantile, welch

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


def test_welch_by_hand():
    # means 2 and 5.1667, variances 1 and 1.5833 over n = 3: t = -3.1667 / sqrt(0.8611) = -3.4125,
    # df = 0.8611^2 / ((1/3)^2/2 + (0.5278)^2/2) = 3.806 -> t_crit ~ 2.83 < |t|: significant.
    c = welch([1.0, 2.0, 3.0], [4.0, 5.0, 6.5])
    assert c.difference == pytest.approx(-19 / 6)
    assert c.t == pytest.approx(-3.4125, abs=1e-4)
    assert c.df == pytest.approx(3.806, abs=1e-3)
    assert c.significant is True


def test_a_gap_within_the_noise_is_not_significant():
    assert welch([0.80, 0.82, 0.78], [0.81, 0.79, 0.80]).significant is False


def test_one_seed_cannot_be_assessed():
    c = welch([0.9], [0.8, 0.85])
    assert c.significant is None and c.t is None and c.difference == pytest.approx(0.075)


def test_identical_runs_with_a_gap_are_exactly_different():
    assert welch([0.5, 0.5], [0.4, 0.4]).significant is True
    assert welch([0.5, 0.5], [0.5, 0.5]).significant is False
