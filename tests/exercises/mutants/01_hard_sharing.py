"""Mutants of exercise 01_hard_sharing: {name: {answer cell id: what the student typed}}."""

_MODEL_HEAD = """class HardSharingNet(nn.Module):
    def __init__(self, in_features, hidden, tasks):
        super().__init__()
"""

WRONG = {
    "a_trunk_copy_per_task": {
        "answer_model": """import copy


class HardSharingNet(nn.Module):
    def __init__(self, in_features, hidden, tasks):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.heads = nn.ModuleDict(
            {t: nn.Sequential(copy.deepcopy(self.trunk), nn.Linear(hidden, n)) for t, n in tasks.items()}
        )

    def forward(self, x):
        return {t: head(x) for t, head in self.heads.items()}"""
    },
    "no_relu_after_the_trunk": {
        "answer_model": _MODEL_HEAD
        + """        self.trunk = nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU(), nn.Linear(hidden, hidden))
        self.heads = nn.ModuleDict({t: nn.Linear(hidden, n) for t, n in tasks.items()})

    def forward(self, x):
        f = self.trunk(x)
        return {t: h(f) for t, h in self.heads.items()}"""
    },
    "heads_in_a_plain_dict": {
        "answer_model": _MODEL_HEAD
        + """        self.trunk = nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.heads = {t: nn.Linear(hidden, n) for t, n in tasks.items()}

    def forward(self, x):
        f = self.trunk(x)
        return {t: h(f) for t, h in self.heads.items()}"""
    },
    "counts_tensors_not_numbers": {
        "answer_count": """def count_parameters(model):
    counts = {"shared": len(list(model.trunk.parameters()))}
    for task, head in model.heads.items():
        counts[task] = len(list(head.parameters()))
    counts["total"] = len(list(model.parameters()))
    return counts"""
    },
    "total_is_the_sum_of_the_parts": {
        "answer_count": """def count_parameters(model):
    counts = {"shared": sum(p.numel() for p in model.trunk.parameters())}
    for task, head in model.heads.items():
        counts[task] = sum(p.numel() for p in head.parameters())
    counts["total"] = sum(counts.values())
    return counts"""
    },
    "only_trainable_parameters": {
        "answer_count": """def count_parameters(model):
    def n(m):
        return sum(p.numel() for p in m.parameters() if p.requires_grad)

    counts = {"shared": n(model.trunk), **{t: n(h) for t, h in model.heads.items()}}
    counts["total"] = n(model)
    return counts"""
    },
    "gradient_of_every_parameter": {
        "answer_gradients": """def trunk_gradients(model, x, labels):
    logits = model(x)
    params = list(model.parameters())  # heads too
    out = {}
    for task in model.heads:
        loss = nn.functional.cross_entropy(logits[task], labels[task])
        gs = torch.autograd.grad(loss, params, retain_graph=True, allow_unused=True)
        out[task] = torch.cat([(torch.zeros_like(p) if g is None else g).reshape(-1) for p, g in zip(params, gs)])
    return out


def gradient_cosine(a, b):
    if a.norm() == 0 or b.norm() == 0:
        raise ValueError("zero vector")
    return float(a @ b / (a.norm() * b.norm()))"""
    },
    "the_total_loss_for_every_task": {
        "answer_gradients": """def trunk_gradients(model, x, labels):
    logits = model(x)
    total = sum(nn.functional.cross_entropy(logits[t], labels[t]) for t in model.heads)
    gs = torch.autograd.grad(total, list(model.trunk.parameters()))
    flat = torch.cat([g.reshape(-1) for g in gs])
    return {t: flat for t in model.heads}


def gradient_cosine(a, b):
    if a.norm() == 0 or b.norm() == 0:
        raise ValueError("zero vector")
    return float(a @ b / (a.norm() * b.norm()))"""
    },
    "backward_and_read_grad": {
        "answer_gradients": """def trunk_gradients(model, x, labels):
    logits = model(x)
    out = {}
    for task in model.heads:
        model.zero_grad()
        nn.functional.cross_entropy(logits[task], labels[task]).backward(retain_graph=True)
        out[task] = torch.cat([p.grad.reshape(-1).clone() for p in model.trunk.parameters()])
    model.zero_grad()
    return out


def gradient_cosine(a, b):
    if a.norm() == 0 or b.norm() == 0:
        raise ValueError("zero vector")
    return float(a @ b / (a.norm() * b.norm()))"""
    },
    "cosine_returns_a_tensor": {
        "answer_gradients": """def trunk_gradients(model, x, labels):
    params = list(model.trunk.parameters())
    logits = model(x)
    out = {}
    for task in model.heads:
        gs = torch.autograd.grad(nn.functional.cross_entropy(logits[task], labels[task]), params, retain_graph=True)
        out[task] = torch.cat([g.flatten() for g in gs])
    return out


def gradient_cosine(a, b):
    if a.norm() == 0 or b.norm() == 0:
        raise ValueError("zero vector")
    return torch.nn.functional.cosine_similarity(a, b, dim=0)"""
    },
    "cosine_without_the_zero_check": {
        "answer_gradients": """def trunk_gradients(model, x, labels):
    params = list(model.trunk.parameters())
    logits = model(x)
    out = {}
    for task in model.heads:
        gs = torch.autograd.grad(nn.functional.cross_entropy(logits[task], labels[task]), params, retain_graph=True)
        out[task] = torch.cat([g.flatten() for g in gs])
    return out


def gradient_cosine(a, b):
    return torch.nn.functional.cosine_similarity(a, b, dim=0).item()  # eps hides a zero vector"""
    },
    "one_entry_per_label_not_per_head": {
        "answer_gradients": """def trunk_gradients(model, x, labels):
    params = list(model.trunk.parameters())
    logits = model(x)
    out = {}
    for task, y in labels.items():
        if task not in logits:
            continue
        gs = torch.autograd.grad(nn.functional.cross_entropy(logits[task], y), params, retain_graph=True)
        out[task] = torch.cat([g.flatten() for g in gs])
    return out


def gradient_cosine(a, b):
    if a.norm() == 0 or b.norm() == 0:
        raise ValueError("zero vector")
    return (a @ b / (a.norm() * b.norm())).item()"""
    },
}

CORRECT = {
    "loops_and_vector_utilities": {
        "answer_model": """class HardSharingNet(nn.Module):
    def __init__(self, in_features, hidden, tasks):
        super().__init__()
        layers = []
        for n_in in (in_features, hidden):
            layers += [nn.Linear(n_in, hidden), nn.ReLU()]
        self.trunk = nn.Sequential(*layers)
        self.heads = nn.ModuleDict()
        for task, n in tasks.items():
            self.heads[task] = nn.Linear(hidden, n)

    def forward(self, x):
        return {task: head(self.trunk(x)) for task, head in self.heads.items()}  # same trunk, twice""",
        "answer_count": """def count_parameters(model):
    unique = {id(p): p.numel() for p in model.parameters()}
    counts = {"shared": sum(p.numel() for p in model.trunk.parameters())}
    counts.update({task: sum(p.numel() for p in head.parameters()) for task, head in model.heads.items()})
    counts["total"] = sum(unique.values())
    return counts""",
        "answer_gradients": """from torch.nn.utils import parameters_to_vector


def trunk_gradients(model, x, labels):
    features = model.trunk(x)
    params = list(model.trunk.parameters())
    result = {}
    for task, head in model.heads.items():
        loss = nn.functional.cross_entropy(head(features), labels[task])
        result[task] = parameters_to_vector(torch.autograd.grad(loss, params, retain_graph=True))
    return result


def gradient_cosine(a, b):
    na, nb = torch.linalg.vector_norm(a).item(), torch.linalg.vector_norm(b).item()
    if na == 0.0 or nb == 0.0:
        raise ValueError("undefined for a zero vector")
    return torch.dot(a, b).item() / (na * nb)""",
    },
}

# Mistakes that the visible tests must already catch (so the student is warned before submitting).
CAUGHT_BY_VISIBLE = {
    "a_trunk_copy_per_task",
    "heads_in_a_plain_dict",
    "counts_tensors_not_numbers",
    "gradient_of_every_parameter",
    "the_total_loss_for_every_task",
    "cosine_returns_a_tensor",
}
