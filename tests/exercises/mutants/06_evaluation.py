"""Mutants of exercise 06_evaluation: {name: {answer cell id: what the student typed}}."""

_CHECKS = """    if len(a) != len(b):
        raise ValueError("unequal lengths")
    n = len(a)
    if n - 1 not in T_975:
        raise ValueError("need 2 to 11 pairs")
"""

_BIAS_CHECKS = """    if k < 1 or n < 1 or not 0 <= p <= 1:
        raise ValueError("bad arguments")
"""

WRONG = {
    "unpaired_sd": {
        "answer_paired": """def paired_interval(a, b):
"""
        + _CHECKS
        + """    ma, mb = sum(a) / n, sum(b) / n
    var = (sum((x - ma) ** 2 for x in a) + sum((y - mb) ** 2 for y in b)) / (2 * n - 2)
    return ma - mb, T_975[n - 1] * math.sqrt(2 * var / n)"""
    },
    "population_sd": {
        "answer_paired": """def paired_interval(a, b):
"""
        + _CHECKS
        + """    d = [x - y for x, y in zip(a, b)]
    m = sum(d) / n
    return m, T_975[n - 1] * math.sqrt(sum((v - m) ** 2 for v in d) / n) / math.sqrt(n)"""
    },
    "normal_quantile": {
        "answer_paired": """def paired_interval(a, b):
"""
        + _CHECKS
        + """    d = [x - y for x, y in zip(a, b)]
    m = sum(d) / n
    return m, 1.96 * math.sqrt(sum((v - m) ** 2 for v in d) / (n - 1)) / math.sqrt(n)"""
    },
    "t_with_n_degrees_of_freedom": {
        "answer_paired": """def paired_interval(a, b):
    if len(a) != len(b) or len(a) not in T_975:
        raise ValueError("need equal lengths, 2 to 10 pairs")
    n = len(a)
    d = [x - y for x, y in zip(a, b)]
    m = sum(d) / n
    return m, T_975[n] * math.sqrt(sum((v - m) ** 2 for v in d) / (n - 1)) / math.sqrt(n)"""
    },
    "zip_silently_truncates": {
        "answer_paired": """def paired_interval(a, b):
    d = [x - y for x, y in zip(a, b)]
    n = len(d)
    if n - 1 not in T_975:
        raise ValueError("need 2 to 11 pairs")
    m = sum(d) / n
    return m, T_975[n - 1] * math.sqrt(sum((v - m) ** 2 for v in d) / (n - 1)) / math.sqrt(n)"""
    },
    "numpy_floats_from_statistics": {
        "answer_paired": """import numpy as np


def paired_interval(a, b):
"""
        + _CHECKS
        + """    d = np.asarray(a) - np.asarray(b)
    return d.mean(), T_975[n - 1] * d.std(ddof=1) / np.sqrt(n)"""
    },
    "bias_one_draw_shared_by_all_candidates": {
        "answer_bias": """def selection_bias(p, n, k, trials, generator):
"""
        + _BIAS_CHECKS
        + """    x = torch.binomial(torch.full((trials, 1), float(n)), torch.full((trials, 1), float(p)), generator=generator)
    best = x.expand(trials, k).max(dim=1).values  # the same test result for every candidate
    return (best / n - p).mean().item()"""
    },
    "bias_mean_instead_of_max": {
        "answer_bias": """def selection_bias(p, n, k, trials, generator):
"""
        + _BIAS_CHECKS
        + """    x = torch.binomial(torch.full((trials, k), float(n)), torch.full((trials, k), float(p)), generator=generator)
    return (x.mean(dim=1) / n - p).mean().item()"""
    },
    "bias_normal_noise_with_the_variance_as_sd": {
        "answer_bias": """def selection_bias(p, n, k, trials, generator):
"""
        + _BIAS_CHECKS
        + """    noise = torch.randn(trials, k, generator=generator, dtype=torch.float64) * (p * (1 - p) / n)
    return ((p + noise).max(dim=1).values - p).mean().item()"""
    },
    "bias_forgets_to_subtract_p": {
        "answer_bias": """def selection_bias(p, n, k, trials, generator):
"""
        + _BIAS_CHECKS
        + """    x = torch.binomial(torch.full((trials, k), float(n)), torch.full((trials, k), float(p)), generator=generator)
    return (x.max(dim=1).values / n).mean().item()"""
    },
    "bias_without_argument_checks": {
        "answer_bias": """def selection_bias(p, n, k, trials, generator):
    x = torch.binomial(torch.full((trials, k), float(n)), torch.full((trials, k), float(p)), generator=generator)
    return (x.max(dim=1).values / n - p).mean().item()"""
    },
}

CORRECT = {
    "statistics_module_and_a_running_max": {
        "answer_paired": """import statistics


def paired_interval(a, b):
    if len(a) != len(b) or not 2 <= len(a) <= 11:
        raise ValueError("need two equally long lists of 2 to 11 results")
    diffs = [float(x) - float(y) for x, y in zip(a, b, strict=True)]
    n = len(diffs)
    return statistics.fmean(diffs), T_975[n - 1] * statistics.stdev(diffs) / n**0.5""",
        "answer_bias": """def selection_bias(p, n, k, trials, generator):
    if not (k >= 1 and n >= 1 and 0 <= p <= 1):
        raise ValueError("k >= 1, n >= 1, 0 <= p <= 1")
    best = torch.zeros(trials, dtype=torch.float64)
    for _ in range(k):  # one candidate at a time, keeping the best result so far
        x = torch.binomial(torch.full((trials,), float(n)), torch.full((trials,), float(p)), generator=generator)
        best = torch.maximum(best, x.double())
    return float((best / n).mean() - p)""",
    },
}

CAUGHT_BY_VISIBLE = {
    "unpaired_sd",
    "population_sd",
    "normal_quantile",
    "t_with_n_degrees_of_freedom",
    "bias_one_draw_shared_by_all_candidates",
    "bias_mean_instead_of_max",
    "bias_forgets_to_subtract_p",
}
