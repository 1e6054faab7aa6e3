"""Every architecture x weighting trains: a hand-rolled loop of a few SGD steps on random data, in
float32 and under bf16 autocast on the CPU; and small models overfit one tiny batch."""

import warnings

import pytest
import torch
import torch.nn.functional as F

from mtlkit.errors import UserError
from mtlkit.models import CrossStitch, HardSharing, SingleTask, SoftSharing
from mtlkit.weighting import create, names

TASKS = {"fine": 5, "coarse": 2}


def make_model(arch: str, make_backbone):
    if arch == "single":
        return SingleTask(make_backbone(), "fine", 5)
    if arch == "hard":
        return HardSharing(make_backbone(), TASKS, head="mlp")
    if arch == "soft":
        return SoftSharing(make_backbone, TASKS, coupling=0.1, same_init=False)
    return CrossStitch(make_backbone, TASKS)


def batch(tasks, seed=0, n=8):
    g = torch.Generator().manual_seed(seed)
    images = torch.randn(n, 3, 16, 16, generator=g)
    return images, {t: torch.randint(0, k, (n,), generator=g) for t, k in tasks.items()}


def train_steps(model, weighting, steps: int, lr: float, bf16: bool, optimizer_cls=torch.optim.SGD):
    """The trainer's step, by hand: autocast forward, weighting.backward, regulariser, optimiser step."""
    groups = model.param_groups(lr)
    own = [p for p in weighting.parameters() if p.requires_grad]
    optimizer = optimizer_cls([*groups, *([{"params": own}] if own else [])], lr=lr)
    shared = model.shared_parameters()
    images, labels = batch(model.tasks)
    totals = []
    for _ in range(steps):
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits = model(images)
        losses = {t: F.cross_entropy(logits[t].float(), labels[t]) for t in model.tasks}
        optimizer.zero_grad(set_to_none=True)
        totals.append(weighting.backward(losses, shared))
        penalty = model.regularizer()
        if penalty.requires_grad:  # soft sharing's; the other models' default is a constant zero
            penalty.backward()
        optimizer.step()
        assert all(isinstance(w, float) for w in weighting.weights.values())
    weighting.epoch_end({t: loss.item() for t, loss in losses.items()})
    return torch.stack(totals), {
        t: (logits[t].argmax(1) == labels[t]).float().mean().item() for t in model.tasks
    }


@pytest.mark.parametrize("bf16", [False, True], ids=["fp32", "bf16"])
@pytest.mark.parametrize("weighting_name", names())
@pytest.mark.parametrize("arch", ["single", "hard", "soft", "cross_stitch"])
def test_every_scheme_and_weighting_trains(arch, weighting_name, bf16, make_backbone):
    torch.manual_seed(0)
    model = make_model(arch, make_backbone)
    weighting = create(weighting_name, model.tasks)
    if weighting_name == "gradnorm" and not model.shared_parameters():
        with pytest.raises(UserError, match="shared"):
            train_steps(model, weighting, 1, 0.05, bf16)
        return
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "PCGrad: the model has no shared parameters")
        totals, _ = train_steps(model, weighting, 4, 0.05, bf16)
    assert torch.isfinite(totals).all()
    assert all(torch.isfinite(p).all() for p in model.parameters())


@pytest.mark.parametrize("arch", ["hard", "cross_stitch"])
def test_a_model_overfits_a_tiny_batch(arch, make_conv):
    torch.manual_seed(0)
    model = make_model(arch, make_conv)
    totals, accuracy = train_steps(model, create("equal", TASKS), 60, 0.01, False, torch.optim.Adam)
    assert accuracy == {"fine": 1.0, "coarse": 1.0}
    assert totals[-1] < 0.2 * totals[0]


def column_distance(model: SoftSharing) -> float:
    a, b = model.backbones.values()
    return sum((p - q).square().sum().item() for p, q in zip(a.parameters(), b.parameters(), strict=True))


def test_soft_sharing_regulariser_pulls_columns_together(make_conv):
    torch.manual_seed(0)
    free = SoftSharing(make_conv, TASKS, coupling=0.0, same_init=False)
    tied = SoftSharing(make_conv, TASKS, coupling=1.0, same_init=False)
    tied.load_state_dict(free.state_dict())
    start = column_distance(tied)
    train_steps(free, create("equal", TASKS), 5, 0.05, False)
    train_steps(tied, create("equal", TASKS), 5, 0.05, False)
    assert column_distance(tied) < 0.5 * start  # each step shrinks the gap by about 1 - 4 * lr
    assert column_distance(free) > 0.9 * start
