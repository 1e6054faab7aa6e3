import pytest
import torch
import torch.nn.functional as F

from mtlkit.data.augment import crop_flip, crop_flip_params, normalize, reflect_index


def hand_image() -> torch.Tensor:
    """One 1x1x4x4 uint8 image with pixel (i, j) = 10 * i + j."""
    return (10 * torch.arange(4).view(4, 1) + torch.arange(4)).to(torch.uint8).view(1, 1, 4, 4)


def crop(dy: int, dx: int, flip: bool, pad: int = 2) -> torch.Tensor:
    return crop_flip(hand_image(), torch.tensor([dy]), torch.tensor([dx]), torch.tensor([flip]), pad)[0, 0]


def test_reflect_index_mirrors_about_the_edge_pixels():
    assert reflect_index(torch.arange(-3, 7), 4).tolist() == [3, 2, 1, 0, 1, 2, 3, 2, 1, 0]


def test_centre_crop_without_flip_is_the_identity():
    assert torch.equal(crop(2, 2, False), hand_image()[0, 0])


def test_flip_reverses_columns():
    assert crop(2, 2, True)[0].tolist() == [3, 2, 1, 0]
    assert crop(2, 2, True)[:, 0].tolist() == [3, 13, 23, 33]


def test_crop_shifts_with_reflected_border():
    # dy = dx = 0: the window starts 2 pixels above/left of the image: rows/cols 2, 1, 0, 1.
    assert crop(0, 0, False).tolist() == [[22, 21, 20, 21], [12, 11, 10, 11], [2, 1, 0, 1], [12, 11, 10, 11]]
    # dx = 3: one pixel right of centre, the last column reflects back to column 2.
    assert crop(2, 3, False)[1].tolist() == [11, 12, 13, 12]


def test_crop_then_flip_matches_pad_slice_flip():
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (16, 3, 8, 8), generator=g, dtype=torch.uint8)
    dy, dx, flipped = crop_flip_params(16, 3, g)
    out = crop_flip(images, dy, dx, flipped, 3)
    padded = F.pad(images.float(), (3, 3, 3, 3), mode="reflect")
    for b in range(16):
        ref = padded[b, :, dy[b] : dy[b] + 8, dx[b] : dx[b] + 8]
        ref = ref.flip(-1) if flipped[b] else ref
        assert torch.equal(out[b].float(), ref)


def test_params_are_seeded_and_in_range():
    a = crop_flip_params(1000, 4, torch.Generator().manual_seed(1))
    b = crop_flip_params(1000, 4, torch.Generator().manual_seed(1))
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
    dy, dx, flipped = a
    assert dy.min() == 0 and dy.max() == 8 and dx.min() == 0 and dx.max() == 8
    assert 400 < flipped.sum() < 600
    assert not crop_flip_params(100, 4, torch.Generator(), flip=False)[2].any()


def test_crop_flip_keeps_shape_and_dtype():
    images = torch.zeros(5, 3, 32, 32, dtype=torch.uint8)
    out = crop_flip(images, *crop_flip_params(5, 4, torch.Generator()), pad=4)
    assert out.shape == images.shape and out.dtype == torch.uint8


def test_normalize_by_hand():
    images = torch.tensor([0, 255, 51], dtype=torch.uint8).view(1, 3, 1, 1)
    out = normalize(images, torch.tensor([0.5, 0.5, 0.2]), torch.tensor([0.25, 0.5, 0.1]))
    assert out.flatten().tolist() == pytest.approx([-2.0, 1.0, 0.0], abs=1e-6)
    half = normalize(images, torch.zeros(3), torch.ones(3), dtype=torch.bfloat16)
    assert half.dtype == torch.bfloat16


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_same_crops_on_cpu_and_cuda():
    images = torch.randint(0, 256, (64, 3, 32, 32), dtype=torch.uint8)
    params = crop_flip_params(64, 4, torch.Generator().manual_seed(0))
    assert torch.equal(crop_flip(images, *params, 4), crop_flip(images.cuda(), *params, 4).cpu())
