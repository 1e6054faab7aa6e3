import math

import pytest
import torch

from mtlkit.data import load, shapes


def test_generate_shapes_dtypes_and_balanced_labels():
    images, fine = shapes.generate(120, seed=1)
    assert images.shape == (120, 3, 32, 32) and images.dtype == torch.uint8
    assert fine.dtype == torch.int64
    assert torch.bincount(fine, minlength=12).tolist() == [10] * 12


def test_generate_is_deterministic_per_seed():
    a, ya = shapes.generate(50, seed=7)
    b, yb = shapes.generate(50, seed=7)
    c, _ = shapes.generate(50, seed=8)
    assert torch.equal(a, b) and torch.equal(ya, yb)
    assert not torch.equal(a, c)


def test_images_vary_and_use_the_full_range():
    images, _ = shapes.generate(200, seed=0)
    assert images.float().std() > 30
    assert images.min() == 0 and images.max() == 255
    assert len({bytes(im.numpy()) for im in images}) == 200


def test_hierarchy_twelve_fine_in_four_coarse_families():
    assert len(shapes.FINE_NAMES) == 12 and len(shapes.COARSE_NAMES) == 4
    assert shapes.COARSE_OF_FINE == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]
    assert shapes.FINE_NAMES[shapes.COARSE_OF_FINE.index(2)] == "star4"


def _inside(name: str, u: float, v: float) -> float:
    u_t, v_t = torch.tensor([u]), torch.tensor([v])
    r, phi = torch.sqrt(u_t**2 + v_t**2), torch.atan2(v_t, u_t)
    return shapes._SHAPES[shapes.FINE_NAMES.index(name)](u_t, v_t, r, phi).item()


@pytest.mark.parametrize(
    ("name", "inside", "outside"),
    [
        ("disk", (0.0, 0.0), (0.9, 0.0)),
        ("ring", (0.0, 0.7), (0.0, 0.0)),  # the centre of a ring is its hole
        ("ellipse", (0.8, 0.0), (0.0, 0.7)),
        ("square", (0.9, 0.0), (0.6, 0.6)),  # vertices on the axes at 0.95, edges at 0.67
        ("triangle", (0.9, 0.0), (-0.6, 0.0)),  # a vertex at angle 0, an edge at distance 0.5 opposite
        ("star5", (0.95, 0.0), (0.6 * math.cos(math.pi / 5), 0.6 * math.sin(math.pi / 5))),
        ("plus", (0.0, 0.8), (0.5, 0.5)),
        ("tee", (0.7, 0.6), (0.7, -0.6)),
        ("ell", (-0.45, 0.8), (0.5, 0.5)),
    ],
)
def test_shape_functions_by_hand(name, inside, outside):
    assert _inside(name, *inside) > 0
    assert _inside(name, *outside) < 0


def test_disk_inside_function_is_the_distance_to_its_edge():
    assert _inside("disk", 0.0, 0.0) == pytest.approx(0.85)
    assert _inside("disk", 0.3, 0.4) == pytest.approx(0.35)


def test_rendering_is_vectorised_one_call_per_class_and_chunk(monkeypatch):
    calls = []
    wrapped = [lambda *a, f=f, c=c: calls.append(c) or f(*a) for c, f in enumerate(shapes._SHAPES)]
    monkeypatch.setattr(shapes, "_SHAPES", wrapped)
    images, _ = shapes.generate(10_000, seed=0)
    assert images.shape[0] == 10_000
    chunks = math.ceil(10_000 / shapes._CHUNK)
    assert len(calls) == 12 * chunks  # never a Python loop over images or pixels


def test_load_shapes_coarse_is_a_function_of_fine():
    ds = load("shapes", "val")
    assert torch.equal(ds.labels["coarse"], ds.coarse_of_fine[ds.labels["fine"]])
    assert ds.tasks == {"fine": 12, "coarse": 4}
    assert ds.class_names["coarse"] == ["round", "polygon", "star", "bar"]


def test_load_shapes_default_sizes():
    assert len(load("shapes", "train")) == 9_900
    assert len(load("shapes", "val")) == 1_100
    assert len(load("shapes", "test")) == 2_000


def test_size_override_and_test_split_differs_from_train():
    train, test = load("shapes", "train", size=240), load("shapes", "test", size=240)
    assert len(train) == 216 and len(test) == 240
    train_bytes = {bytes(im.numpy()) for im in train.images}
    assert not any(bytes(im.numpy()) in train_bytes for im in test.images)


def test_ten_thousand_images_have_the_right_shape_dtype_and_balance():
    images, fine = shapes.generate(10_000, seed=3)  # the spec's scale (about a second; timed by benchmark())
    assert images.shape == (10_000, 3, 32, 32) and images.dtype == torch.uint8 and images.is_contiguous()
    assert fine.shape == (10_000,) and fine.dtype == torch.int64
    assert set(torch.bincount(fine, minlength=12).tolist()) == {833, 834}  # balanced to within one
    coarse = torch.tensor(shapes.COARSE_OF_FINE)[fine]
    assert set(torch.bincount(coarse, minlength=4).tolist()) <= {2499, 2500, 2501, 2502}


@pytest.mark.slow
def test_a_small_cnn_learns_shapes_well_above_chance_but_far_from_perfect():
    """The difficulty promise, at a CPU budget of seconds: chance is 1/12 (fine) and 1/4 (coarse)."""
    from mtlkit.backbones import create
    from mtlkit.models import SingleTask
    from mtlkit.train import TrainConfig, evaluate, fit

    train, val = (load("shapes", split, size=3000) for split in ("train", "val"))
    test = load("shapes", "test", size=1200)
    torch.manual_seed(0)
    model = SingleTask(create("tiny_cnn", width=16), "fine", 12)
    fit(model, train, val, TrainConfig(epochs=6, batch_size=64, lr=5e-3), progress=False, device="cpu")
    metrics = evaluate(model, test)
    assert 0.2 < metrics["fine"]["acc"] < 0.95  # > 2.4x chance, yet a small CNN is nowhere near solving it
    assert 0.35 < metrics["coarse_from_fine"]["acc"] < 0.95
