import subprocess
import sys

import pytest

from mtlkit import backbones
from mtlkit.errors import UserError

ALL_NAMES = ["tiny_cnn", "resnet18", "resnet152", "vit_tiny", "vit_small", "vit_seed"]


def test_names_lists_every_backbone():
    assert backbones.names() == ALL_NAMES


def test_unknown_name_lists_choices():
    with pytest.raises(UserError, match=r"unknown backbone 'resnet50'; choose one of: .*tiny_cnn.*vit_seed"):
        backbones.create("resnet50")


def test_unknown_option_lists_valid_options():
    with pytest.raises(UserError, match=r"no option 'widht'; valid options: width=32"):
        backbones.create("tiny_cnn", widht=8)


def test_options_report_defaults():
    assert backbones.options("tiny_cnn") == {"width": 32}


def test_bad_width_value_is_user_error():
    with pytest.raises(UserError, match="width must be a positive integer"):
        backbones.create("tiny_cnn", width=0)


def test_importing_the_package_and_listing_names_does_not_import_torch():
    code = "import sys, mtlkit.backbones as b; b.names(); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
