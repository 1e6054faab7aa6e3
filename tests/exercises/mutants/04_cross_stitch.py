"""Mutants of exercise 04_cross_stitch: {name: {answer cell id: what the student typed}}."""

_UNIT_HEAD = """class CrossStitch(nn.Module):
    def __init__(self, num_tasks, channels, self_weight=0.9):
        super().__init__()
        self.alpha = nn.Parameter(cross_stitch_init(num_tasks, channels, self_weight))

    def forward(self, xs):
        t, _, c = self.alpha.shape
        if len(xs) != t:
            raise ValueError("wrong number of inputs")
        dim = 1 if xs[0].ndim == 4 else -1
        if xs[0].shape[dim] != c:
            raise ValueError("wrong number of channels")
        shape = [1] * xs[0].ndim
        shape[dim] = c
"""

_PATTERN_HEAD = """def sharing_pattern(alpha, tol=1e-6):
    t = alpha.shape[0]
    out = []
    for c in range(alpha.shape[2]):
        m = alpha[:, :, c]
"""

WRONG = {
    "init_other_weight_not_shared": {
        "answer_init": """def cross_stitch_init(num_tasks, channels, self_weight=0.9):
    if num_tasks < 2 or not 0 <= self_weight <= 1:
        raise ValueError("bad arguments")
    m = torch.full((num_tasks, num_tasks), 1.0 - self_weight)
    m.fill_diagonal_(self_weight)
    return m[:, :, None].repeat(1, 1, channels)"""
    },
    "init_channels_first": {
        "answer_init": """def cross_stitch_init(num_tasks, channels, self_weight=0.9):
    if num_tasks < 2 or not 0 <= self_weight <= 1:
        raise ValueError("bad arguments")
    m = torch.full((num_tasks, num_tasks), (1.0 - self_weight) / (num_tasks - 1))
    m.fill_diagonal_(self_weight)
    return m.repeat(channels, 1, 1)"""
    },
    "init_accepts_any_self_weight": {
        "answer_init": """def cross_stitch_init(num_tasks, channels, self_weight=0.9):
    if num_tasks < 2:
        raise ValueError("need two tasks")
    m = torch.full((num_tasks, num_tasks), (1.0 - self_weight) / (num_tasks - 1))
    m.fill_diagonal_(self_weight)
    return m[:, :, None].repeat(1, 1, channels)"""
    },
    "unit_mixes_with_alpha_transposed": {
        "answer_unit": _UNIT_HEAD
        + """        return [sum(self.alpha[j, i].reshape(shape) * x for j, x in enumerate(xs)) for i in range(t)]"""
    },
    "unit_channels_always_last": {
        "answer_unit": """class CrossStitch(nn.Module):
    def __init__(self, num_tasks, channels, self_weight=0.9):
        super().__init__()
        self.alpha = nn.Parameter(cross_stitch_init(num_tasks, channels, self_weight))

    def forward(self, xs):
        if len(xs) != self.alpha.shape[0]:
            raise ValueError("wrong number of inputs")
        if xs[0].shape[-1] != self.alpha.shape[2] and xs[0].shape[1] != self.alpha.shape[2]:
            raise ValueError("wrong number of channels")
        return [sum(self.alpha[i, j] * x for j, x in enumerate(xs)) for i in range(len(xs))]"""
    },
    "unit_alpha_is_a_buffer": {
        "answer_unit": """class CrossStitch(nn.Module):
    def __init__(self, num_tasks, channels, self_weight=0.9):
        super().__init__()
        self.register_buffer("alpha", cross_stitch_init(num_tasks, channels, self_weight))

    def forward(self, xs):
        t, _, c = self.alpha.shape
        if len(xs) != t:
            raise ValueError("wrong number of inputs")
        dim = 1 if xs[0].ndim == 4 else -1
        if xs[0].shape[dim] != c:
            raise ValueError("wrong number of channels")
        shape = [1] * xs[0].ndim
        shape[dim] = c
        return [sum(self.alpha[i, j].reshape(shape) * x for j, x in enumerate(xs)) for i in range(t)]"""
    },
    "unit_without_the_channel_check": {
        "answer_unit": """class CrossStitch(nn.Module):
    def __init__(self, num_tasks, channels, self_weight=0.9):
        super().__init__()
        self.alpha = nn.Parameter(cross_stitch_init(num_tasks, channels, self_weight))

    def forward(self, xs):
        if len(xs) != self.alpha.shape[0]:
            raise ValueError("wrong number of inputs")
        shape = (1, -1, 1, 1) if xs[0].ndim == 4 else (-1,)
        return [sum(self.alpha[i, j].reshape(shape) * x for j, x in enumerate(xs)) for i in range(len(xs))]"""
    },
    "unit_detaches_the_other_columns": {
        "answer_unit": _UNIT_HEAD
        + """        return [
            sum(self.alpha[i, j].reshape(shape) * (x if j == i else x.detach()) for j, x in enumerate(xs))
            for i in range(t)
        ]"""
    },
    "unit_accumulates_into_the_input": {
        "answer_unit": _UNIT_HEAD
        + """        outs = []
        for i in range(t):
            acc = xs[i]
            acc *= self.alpha[i, i].reshape(shape)
            for j, x in enumerate(xs):
                if j != i:
                    acc = acc + self.alpha[i, j].reshape(shape) * x
            outs.append(acc)
        return outs"""
    },
    "pattern_compares_columns": {
        "answer_pattern": _PATTERN_HEAD
        + """        if torch.allclose(m, torch.eye(t), atol=tol, rtol=0):
            out.append("independent")
        elif torch.allclose(m, m[:, :1].expand(t, t), atol=tol, rtol=0):
            out.append("shared")
        else:
            out.append("mixed")
    return out"""
    },
    "pattern_checks_only_the_diagonal": {
        "answer_pattern": _PATTERN_HEAD
        + """        if torch.allclose(m.diagonal(), torch.ones(t), atol=tol, rtol=0):
            out.append("independent")
        elif torch.allclose(m, m[:1].expand(t, t), atol=tol, rtol=0):
            out.append("shared")
        else:
            out.append("mixed")
    return out"""
    },
    "pattern_exact_equality": {
        "answer_pattern": _PATTERN_HEAD
        + """        if torch.equal(m, torch.eye(t)):
            out.append("independent")
        elif bool((m == m[0]).all()):
            out.append("shared")
        else:
            out.append("mixed")
    return out"""
    },
    "pattern_only_rows_0_and_1": {
        "answer_pattern": _PATTERN_HEAD
        + """        if torch.allclose(m, torch.eye(t), atol=tol, rtol=0):
            out.append("independent")
        elif torch.allclose(m[0], m[1], atol=tol, rtol=0):
            out.append("shared")
        else:
            out.append("mixed")
    return out"""
    },
}

CORRECT = {
    "broadcasting_and_row_spread": {
        "answer_init": """def cross_stitch_init(num_tasks, channels, self_weight=0.9):
    if num_tasks < 2:
        raise ValueError("at least two tasks")
    if self_weight < 0 or self_weight > 1:
        raise ValueError("self_weight in [0, 1]")
    eye = torch.eye(num_tasks)
    other = (1 - self_weight) / (num_tasks - 1)
    matrix = eye * self_weight + (1 - eye) * other
    return matrix.unsqueeze(2).expand(num_tasks, num_tasks, channels).contiguous().float()""",
        "answer_unit": """class CrossStitch(nn.Module):
    def __init__(self, num_tasks, channels, self_weight=0.9):
        super().__init__()
        self.alpha = nn.Parameter(cross_stitch_init(num_tasks, channels, self_weight))

    def forward(self, xs):
        num_tasks, _, channels = self.alpha.shape
        if len(xs) != num_tasks:
            raise ValueError(f"{len(xs)} inputs for {num_tasks} tasks")
        axis = 1 if xs[0].dim() == 4 else xs[0].dim() - 1
        if xs[0].size(axis) != channels:
            raise ValueError("channel count")
        view = [channels if d == axis else 1 for d in range(xs[0].dim())]
        outputs = []
        for i in range(num_tasks):
            total = torch.zeros_like(xs[0])
            for j in range(num_tasks):
                total = total + self.alpha[i, j].view(view) * xs[j]
            outputs.append(total)
        return outputs""",
        "answer_pattern": """def sharing_pattern(alpha, tol=1e-6):
    t = alpha.shape[0]
    identity = torch.eye(t, dtype=alpha.dtype)[:, :, None]
    is_identity = (alpha - identity).abs().amax(dim=(0, 1)) <= tol
    rows_equal = (alpha - alpha[0:1]).abs().amax(dim=(0, 1)) <= tol
    names = []
    for ident, equal in zip(is_identity.tolist(), rows_equal.tolist()):
        names.append("independent" if ident else "shared" if equal else "mixed")
    return names""",
    },
}

CAUGHT_BY_VISIBLE = {
    "init_other_weight_not_shared",
    "init_channels_first",
    "unit_mixes_with_alpha_transposed",
    "unit_channels_always_last",
    "unit_alpha_is_a_buffer",
    "pattern_compares_columns",
}
