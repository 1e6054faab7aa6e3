"""Mutants of exercise 03_attention (MTAN): {name: {answer cell id: what the student typed}}."""

_INIT = """class TaskAttention(nn.Module):
    def __init__(self, channels, first):
        super().__init__()
        self.first = first
        c_in = channels if first else 2 * channels
        self.g = nn.Sequential(nn.Conv2d(c_in, channels, 1), nn.BatchNorm2d(channels), nn.ReLU())
        self.h = nn.Sequential(nn.Conv2d(channels, channels, 1), nn.BatchNorm2d(channels), nn.Sigmoid())

    def forward(self, u, p, handed=None):
        if self.first != (handed is None):
            raise ValueError("handed must be given to every block but the first")
"""

WRONG = {
    "mask_applied_to_u": {
        "answer_attention": _INIT
        + """        x = u if handed is None else torch.cat([u, handed], dim=1)
        return self.h(self.g(x)) * u"""
    },
    "mask_computed_from_p": {
        "answer_attention": _INIT
        + """        x = p if handed is None else torch.cat([p, handed], dim=1)
        return self.h(self.g(x)) * p"""
    },
    "handed_added_not_concatenated": {
        "answer_attention": """class TaskAttention(nn.Module):
    def __init__(self, channels, first):
        super().__init__()
        self.first = first
        self.g = nn.Sequential(nn.Conv2d(channels, channels, 1), nn.BatchNorm2d(channels), nn.ReLU())
        self.h = nn.Sequential(nn.Conv2d(channels, channels, 1), nn.BatchNorm2d(channels), nn.Sigmoid())

    def forward(self, u, p, handed=None):
        if self.first != (handed is None):
            raise ValueError("handed must be given to every block but the first")
        x = u if handed is None else u + handed
        return self.h(self.g(x)) * p"""
    },
    "no_batch_norm": {
        "answer_attention": """class TaskAttention(nn.Module):
    def __init__(self, channels, first):
        super().__init__()
        self.first = first
        c_in = channels if first else 2 * channels
        self.g = nn.Sequential(nn.Conv2d(c_in, channels, 1), nn.ReLU())
        self.h = nn.Sequential(nn.Conv2d(channels, channels, 1), nn.Sigmoid())

    def forward(self, u, p, handed=None):
        if self.first != (handed is None):
            raise ValueError("handed must be given to every block but the first")
        x = u if handed is None else torch.cat([u, handed], dim=1)
        return self.h(self.g(x)) * p"""
    },
    "softmax_mask_over_channels": {
        "answer_attention": """class TaskAttention(nn.Module):
    def __init__(self, channels, first):
        super().__init__()
        self.first = first
        c_in = channels if first else 2 * channels
        self.g = nn.Sequential(nn.Conv2d(c_in, channels, 1), nn.BatchNorm2d(channels), nn.ReLU())
        self.h = nn.Sequential(nn.Conv2d(channels, channels, 1), nn.BatchNorm2d(channels), nn.Softmax(dim=1))

    def forward(self, u, p, handed=None):
        if self.first != (handed is None):
            raise ValueError("handed must be given to every block but the first")
        x = u if handed is None else torch.cat([u, handed], dim=1)
        return self.h(self.g(x)) * p"""
    },
    "no_argument_checks": {
        "answer_attention": """class TaskAttention(nn.Module):
    def __init__(self, channels, first):
        super().__init__()
        self.first = first
        c_in = channels if first else 2 * channels
        self.g = nn.Sequential(nn.Conv2d(c_in, channels, 1), nn.BatchNorm2d(channels), nn.ReLU())
        self.h = nn.Sequential(nn.Conv2d(channels, channels, 1), nn.BatchNorm2d(channels), nn.Sigmoid())

    def forward(self, u, p, handed=None):
        x = u if self.first else torch.cat([u, torch.zeros_like(u) if handed is None else handed], dim=1)
        return self.h(self.g(x)) * p"""
    },
    "handed_detached": {
        "answer_attention": _INIT
        + """        x = u if handed is None else torch.cat([u, handed.detach()], dim=1)
        return self.h(self.g(x)) * p"""
    },
    "returns_the_mask": {
        "answer_attention": _INIT
        + """        x = u if handed is None else torch.cat([u, handed], dim=1)
        return self.h(self.g(x))"""
    },
    "block_f_copied_per_task": {
        "answer_block": """import copy


def attend_block(u, p, previous, modules, f):
    if previous is None:
        return {t: m(u, p) for t, m in modules.items()}
    if set(previous) != set(modules):
        raise ValueError("tasks differ")
    return {t: m(u, p, copy.deepcopy(f)(previous[t])) for t, m in modules.items()}"""
    },
    "block_every_task_reads_the_first_tasks_features": {
        "answer_block": """def attend_block(u, p, previous, modules, f):
    if previous is None:
        return {t: m(u, p) for t, m in modules.items()}
    if set(previous) != set(modules):
        raise ValueError("tasks differ")
    handed = f(next(iter(previous.values())))
    return {t: m(u, p, handed) for t, m in modules.items()}"""
    },
    "block_without_f": {
        "answer_block": """def attend_block(u, p, previous, modules, f):
    if previous is None:
        return {t: m(u, p) for t, m in modules.items()}
    if set(previous) != set(modules):
        raise ValueError("tasks differ")
    return {t: m(u, p, previous[t]) for t, m in modules.items()}"""
    },
    "block_without_the_task_check": {
        "answer_block": """def attend_block(u, p, previous, modules, f):
    if previous is None:
        return {t: m(u, p) for t, m in modules.items()}
    return {t: m(u, p, f(previous[t])) for t, m in modules.items()}"""
    },
}

CORRECT = {
    "functional_style": {
        "answer_attention": """class TaskAttention(nn.Module):
    def __init__(self, channels, first):
        super().__init__()
        self.first = first
        width = channels * (1 if first else 2)
        self.g = nn.Sequential(nn.Conv2d(width, channels, kernel_size=1), nn.BatchNorm2d(channels), nn.ReLU())
        self.h = nn.Sequential(nn.Conv2d(channels, channels, kernel_size=(1, 1)), nn.BatchNorm2d(channels), nn.Sigmoid())

    def forward(self, u, p, handed=None):
        if self.first and handed is not None:
            raise ValueError("a first block has no previous attended features")
        if not self.first and handed is None:
            raise ValueError("a later block needs f(previous attended features)")
        features = [u] if self.first else [u, handed]
        mask = self.h(self.g(torch.cat(features, dim=1)))
        return p * mask""",
        "answer_block": """def attend_block(u, p, previous, modules, f):
    result = {}
    if previous is not None and sorted(previous) != sorted(modules.keys()):
        raise ValueError("previous and modules must have the same tasks")
    for task in modules:
        if previous is None:
            result[task] = modules[task](u, p)
        else:
            result[task] = modules[task](u, p, handed=f(previous[task]))
    return result""",
    },
}

CAUGHT_BY_VISIBLE = {
    "mask_applied_to_u",
    "mask_computed_from_p",
    "handed_added_not_concatenated",
    "returns_the_mask",
    "block_every_task_reads_the_first_tasks_features",
    "block_without_f",
}
