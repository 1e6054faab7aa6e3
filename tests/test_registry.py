"""Every name a user picks (backbone, architecture, weighting, dataset, head) fails the same way: one
UserError listing the valid names or options and the closest match."""

import pytest

from mtlkit.errors import UserError


def backbone(name, **options):
    from mtlkit.backbones import create

    return create(name, **options)


def architecture(name, **options):
    from mtlkit.models import build

    return build(name, "tiny_cnn", {"fine": 3, "coarse": 2}, backbone_kwargs={"width": 4}, **options)


def weighting(name, **options):
    from mtlkit.weighting import create

    return create(name, ["fine", "coarse"], **options)


def dataset(name, **options):
    from mtlkit.data import load

    return load(name, **options)


def head(name, **options):
    from mtlkit.models import head_spec

    return head_spec({"type": name, **options}) if options else head_spec(name)


@pytest.mark.parametrize(
    ("make", "typo", "message"),
    [
        (backbone, "resnet19", "unknown backbone 'resnet19'; choose one of: resnet152, resnet18, tiny_cnn, "),
        (
            architecture,
            "hrad",
            "unknown architecture 'hrad'; choose one of: cross_stitch, hard, single, soft",
        ),
        (
            weighting,
            "gradnrom",
            "unknown weighting 'gradnrom'; choose one of: dwa, equal, gradnorm, pcgrad, ",
        ),
        (dataset, "cifar1000", "unknown dataset 'cifar1000'; choose one of: cifar10, cifar100, shapes"),
        (head, "mpl", "unknown head 'mpl'; choose one of: linear, mlp, seed"),
    ],
)
def test_an_unknown_name_lists_the_names_and_the_closest(make, typo, message):
    with pytest.raises(UserError) as info:
        make(typo)
    assert str(info.value).startswith(message)
    assert "; did you mean '" in str(info.value)


@pytest.mark.parametrize(
    ("make", "name", "typo", "message"),
    [
        (backbone, "tiny_cnn", "widht", "backbone 'tiny_cnn' has no option 'widht'; valid options: width=32"),
        (
            architecture,
            "soft",
            "coupilng",
            "architecture 'soft' has no option 'coupilng'; valid options: coupling=",
        ),
        (
            weighting,
            "dwa",
            "temprature",
            "weighting 'dwa' has no option 'temprature'; valid options: temperature=",
        ),
        (dataset, "shapes", "sise", "dataset 'shapes' has no option 'sise'; valid options: size=None"),
        (head, "mlp", "hiden", "head 'mlp' has no option 'hiden'; valid options: hidden=(256,)"),
    ],
)
def test_an_unknown_option_lists_the_options_with_defaults_and_the_closest(make, name, typo, message):
    with pytest.raises(UserError) as info:
        make(name, **{typo: 1})
    assert str(info.value).startswith(message)
    assert str(info.value).endswith("?") and "did you mean '" in str(info.value)


def test_an_option_only_another_name_has_is_refused_with_none_valid():
    with pytest.raises(
        UserError, match=r"architecture 'hard' has no option 'coupling'; valid options: none$"
    ):
        architecture("hard", coupling=1.0)


def test_names_are_listed_in_registration_order_without_importing_torch():
    import subprocess
    import sys

    code = (
        "import sys, mtlkit.backbones as b, mtlkit.weighting as w; "
        "print(b.names(), w.names(), 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split("] [")[1].startswith("'equal', 'static', 'uncertainty', 'dwa', 'gradnorm', 'pcgrad'")
    assert out.strip().endswith("False")
