import pytest

from mtlkit.capstone.delta_m import delta_m


def test_delta_m_by_hand():
    # fine: (0.66 - 0.60) / 0.60 = +10%; coarse: (0.72 - 0.80) / 0.80 = -10% -> mean 0
    assert delta_m({"fine": 0.66, "coarse": 0.72}, {"fine": 0.60, "coarse": 0.80}) == pytest.approx(0.0)
    assert delta_m({"fine": 0.66, "coarse": 0.80}, {"fine": 0.60, "coarse": 0.80}) == pytest.approx(0.05)


def test_lower_is_better_flips_the_sign():
    # an error falling from 0.4 to 0.3 is a 25% improvement
    assert delta_m({"err": 0.3}, {"err": 0.4}, lower_is_better={"err"}) == pytest.approx(0.25)


def test_only_the_baseline_tasks_count():
    assert delta_m({"fine": 0.5, "extra": 0.1}, {"fine": 0.25}) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("mtl", "stl"), [({"fine": 0.5}, {}), ({}, {"fine": 0.5}), ({"fine": 0.5}, {"fine": 0.0})]
)
def test_bad_inputs_raise(mtl, stl):
    with pytest.raises(ValueError):
        delta_m(mtl, stl)
