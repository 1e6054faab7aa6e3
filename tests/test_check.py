"""mtlkit.check: the notebooks' self-check helpers pass quietly-with-a-tick or fail with a useful message."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
import torch

from mtlkit import check


def test_true_prints_a_tick(capsys):
    check.true(1 + 1 == 2, "arithmetic works")
    assert capsys.readouterr().out == "✓ arithmetic works\n"


def test_true_failure_names_the_check_and_the_hint():
    with pytest.raises(AssertionError) as info:
        check.true(False, "accuracy above chance", hint="train longer")
    assert str(info.value) == "✗ accuracy above chance: the condition is False\n  hint: train longer"


def test_true_accepts_a_one_element_tensor(capsys):
    check.true(torch.tensor(True), "tensor condition")
    assert "✓ tensor condition" in capsys.readouterr().out
    with pytest.raises(AssertionError):
        check.true(torch.tensor(0), "zero tensor")


def test_close_prints_the_largest_difference(capsys):
    check.close(torch.tensor([1.0, 2.0, 3.0]), [1.0, 2.0 + 1e-7, 3.0 - 3e-7], atol=1e-6, what="vec")
    assert capsys.readouterr().out.startswith("✓ vec (max |diff| = 3.0e-07)")


def test_close_failure_reports_count_worst_and_first_index():
    actual = np.zeros((2, 3))
    expected = np.zeros((2, 3))
    expected[1, 2] = 0.5
    expected[0, 1] = 0.01
    with pytest.raises(AssertionError) as info:
        check.close(actual, expected, 1e-3, "features")
    message = str(info.value)
    assert message.startswith("✗ features: 2 of 6 entries differ")
    assert "largest |difference| = 0.5" in message
    assert "first at index (0, 1)" in message


def test_close_relative_tolerance():
    check.close([100.0], [101.0], atol=0.0, rtol=0.011, what="rel ok")
    with pytest.raises(AssertionError):
        check.close([100.0], [101.0], atol=0.0, rtol=0.009, what="rel too tight")


def test_close_refuses_broadcasting():
    with pytest.raises(AssertionError, match=r"shape \(4, 1\) != expected \(4,\)"):
        check.close(torch.zeros(4, 1), torch.zeros(4), what="logits")


def test_close_treats_nan_as_a_failure():
    with pytest.raises(AssertionError, match="1 of 2 entries"):
        check.close([math.nan, 1.0], [0.0, 1.0], what="loss")


def test_close_accepts_tensors_that_require_grad():
    x = torch.ones(3, requires_grad=True) * 2
    check.close(x, [2.0, 2.0, 2.0], what="grad tensor")


def test_shape_with_wildcards(capsys):
    check.shape(torch.zeros(8, 64, 192), (None, 64, -1), "tokens")
    assert capsys.readouterr().out == "✓ tokens has shape (8, 64, 192)\n"


def test_shape_mismatch_shows_the_wanted_pattern():
    with pytest.raises(AssertionError, match=r"shape \(8, 65, 192\), expected \('\*', 64, 192\)"):
        check.shape(torch.zeros(8, 65, 192), (None, 64, 192), "tokens")
    with pytest.raises(AssertionError, match="expected"):
        check.shape(torch.zeros(8, 64), (8, 64, 1), "rank")


def test_equal_for_scalars_and_tensors(capsys):
    check.equal(3, 3, "count")
    check.equal(torch.tensor([1, 2]), np.array([1, 2]), "labels")
    assert capsys.readouterr().out == "✓ count\n✓ labels\n"
    with pytest.raises(AssertionError, match="got 3, expected 4"):
        check.equal(3, 4, "count")
    with pytest.raises(AssertionError, match="1 of 2 entries differ"):
        check.equal(torch.tensor([1, 2]), [1, 3], "labels")
    with pytest.raises(AssertionError, match=r"shape \(2,\) != expected \(3,\)"):
        check.equal(torch.tensor([1, 2]), np.array([1, 2, 3]), "labels")


def test_between():
    check.between(torch.tensor(0.5), 0, 1, "accuracy")
    with pytest.raises(AssertionError, match=r"1.5 is outside \[0, 1\]"):
        check.between(1.5, 0, 1, "accuracy")
    with pytest.raises(AssertionError, match="single number"):
        check.between([0.1, 0.2], 0, 1, "accuracy")


def test_import_does_not_import_torch():
    code = "import sys, mtlkit.check; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_filled_asks_for_the_placeholder_and_accepts_anything_else(capsys):
    assert check.filled(None) is False
    assert capsys.readouterr().out == "… fill in my_answer above, then run this cell again\n"
    assert check.filled(0, "same_input") is True
    assert capsys.readouterr().out == ""


def test_answer_left_at_none_asks_for_it_instead_of_failing(capsys):
    check.answer(None, 9216, "Q1")
    assert capsys.readouterr().out == "… fill in my_answer above, then run this cell again\n"


def test_answer_is_exact_without_a_tolerance(capsys):
    check.answer(9216, 9216, "Q1: alphas")
    assert capsys.readouterr().out == "✓ Q1: alphas\n"
    with pytest.raises(AssertionError, match="not the expected answer") as wrong:
        check.answer(9215, 9216, "Q1: alphas", hint="T^2 per channel")
    assert "9216" not in str(wrong.value), "a wrong answer gets a hint, not the expected value"
    assert "hint: T^2 per channel" in str(wrong.value)
    assert "check.reveal('Q1: alphas')" in str(wrong.value)


def test_reveal_shows_the_expected_value_only_when_asked(capsys):
    with pytest.raises(AssertionError):
        check.answer(3, 4, "Q9: sides")
    capsys.readouterr()
    assert check.reveal("Q9: sides") == 4
    assert capsys.readouterr().out == "Q9: sides: the expected value is 4\n"
    check.answer(4, 4, "Q9: sides")
    assert check.reveal("Q9: sides") is None, "a question answered right has nothing to reveal"


def test_answer_with_a_tolerance_compares_numbers_and_tensors(capsys):
    check.answer(4.63, 4.6316, "Q1: ratio", atol=0.01)
    check.answer([0.5, 1.5], torch.tensor([0.5, 1.5]), "Q3: update", atol=1e-6)
    assert capsys.readouterr().out.count("✓") == 2
    with pytest.raises(AssertionError, match="Q1: ratio"):
        check.answer(4.0, 4.6316, "Q1: ratio", atol=0.01)


def test_answer_compares_a_dict_key_by_key():
    check.answer({"coarse": 1.1, "fine": 0.9}, {"fine": 0.9, "coarse": 1.1}, "weights", atol=1e-9)
    with pytest.raises(AssertionError, match="not the expected answer"):
        check.answer({"fine": 1.1, "coarse": 0.9}, {"fine": 0.9, "coarse": 1.1}, "weights", atol=1e-9)
    with pytest.raises(AssertionError, match=r"expected a dict with keys \['coarse', 'fine'\]"):
        check.answer([0.9, 1.1], {"fine": 0.9, "coarse": 1.1}, "weights", atol=1e-9)
    with pytest.raises(AssertionError, match="got \\['fine'\\]"):
        check.answer({"fine": 0.9}, {"fine": 0.9, "coarse": 1.1}, "weights", atol=1e-9)
