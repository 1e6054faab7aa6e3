"""Mutants of exercise 02_superclasses: {name: {answer cell id: what the student typed}}."""

_LOSS = """

def coarse_loss_from_fine(fine_logits, coarse_labels, coarse_of_fine, num_coarse):
    return -coarse_log_probs(fine_logits, coarse_of_fine, num_coarse).gather(1, coarse_labels[:, None]).mean()"""

_SHAPE_CHECK = """    if len(coarse_of_fine) != fine_logits.shape[1]:
        raise ValueError("one superclass per fine class")
"""

WRONG = {
    "map_in_alphabetical_order": {
        "answer_map": """def coarse_of_fine(fine_names, superclasses):
    order = sorted(superclasses)
    index = {}
    for name in order:
        for fine in superclasses[name]:
            if fine in index:
                raise ValueError("twice")
            index[fine] = order.index(name)
    if any(f not in index for f in fine_names):
        raise ValueError("missing")
    return torch.tensor([index[f] for f in fine_names])"""
    },
    "map_last_superclass_wins": {
        "answer_map": """def coarse_of_fine(fine_names, superclasses):
    index = {fine: c for c, members in enumerate(superclasses.values()) for fine in members}
    if any(f not in index for f in fine_names):
        raise ValueError("missing")
    return torch.tensor([index[f] for f in fine_names], dtype=torch.long)"""
    },
    "map_as_float": {
        "answer_map": """def coarse_of_fine(fine_names, superclasses):
    out = []
    for f in fine_names:
        hits = [c for c, members in enumerate(superclasses.values()) if f in members]
        if len(hits) != 1:
            raise ValueError(f"{f}: {len(hits)} superclasses")
        out.append(hits[0])
    return torch.tensor(out, dtype=torch.float32)"""
    },
    "log_of_summed_softmax": {
        "answer_log_probs": """def coarse_log_probs(fine_logits, coarse_of_fine, num_coarse):
"""
        + _SHAPE_CHECK
        + """    p = fine_logits.softmax(dim=1)
    return torch.zeros(len(p), num_coarse).index_add(1, coarse_of_fine, p).log()"""
        + _LOSS
    },
    "sum_of_log_probabilities": {
        "answer_log_probs": """def coarse_log_probs(fine_logits, coarse_of_fine, num_coarse):
"""
        + _SHAPE_CHECK
        + """    log_p = fine_logits.log_softmax(dim=1)
    return torch.zeros(len(log_p), num_coarse).index_add(1, coarse_of_fine, log_p)"""
        + _LOSS
    },
    "logsumexp_without_normalising": {
        "answer_log_probs": """def coarse_log_probs(fine_logits, coarse_of_fine, num_coarse):
"""
        + _SHAPE_CHECK
        + """    return torch.stack([fine_logits[:, coarse_of_fine == c].logsumexp(dim=1) for c in range(num_coarse)], dim=1)"""
        + _LOSS
    },
    "softmax_over_the_batch": {
        "answer_log_probs": """def coarse_log_probs(fine_logits, coarse_of_fine, num_coarse):
"""
        + _SHAPE_CHECK
        + """    log_p = fine_logits.log_softmax(dim=0)
    return torch.stack([log_p[:, coarse_of_fine == c].logsumexp(dim=1) for c in range(num_coarse)], dim=1)"""
        + _LOSS
    },
    "detached_probabilities": {
        "answer_log_probs": """def coarse_log_probs(fine_logits, coarse_of_fine, num_coarse):
"""
        + _SHAPE_CHECK
        + """    log_p = fine_logits.detach().log_softmax(dim=1)
    return torch.stack([log_p[:, coarse_of_fine == c].logsumexp(dim=1) for c in range(num_coarse)], dim=1)"""
        + _LOSS
    },
    "empty_superclass_is_zero": {
        "answer_log_probs": """def coarse_log_probs(fine_logits, coarse_of_fine, num_coarse):
"""
        + _SHAPE_CHECK
        + """    log_p = fine_logits.log_softmax(dim=1)
    cols = []
    for c in range(num_coarse):
        members = log_p[:, coarse_of_fine == c]
        cols.append(members.logsumexp(dim=1) if members.shape[1] else torch.zeros(len(log_p)))
    return torch.stack(cols, dim=1)"""
        + _LOSS
    },
    "no_shape_check": {
        "answer_log_probs": """def coarse_log_probs(fine_logits, coarse_of_fine, num_coarse):
    log_p = fine_logits.log_softmax(dim=1)
    return torch.stack([log_p[:, coarse_of_fine[: log_p.shape[1]] == c].logsumexp(dim=1) for c in range(num_coarse)], dim=1)"""
        + _LOSS
    },
    "loss_summed_over_the_batch": {
        "answer_log_probs": """def coarse_log_probs(fine_logits, coarse_of_fine, num_coarse):
"""
        + _SHAPE_CHECK
        + """    log_p = fine_logits.log_softmax(dim=1)
    return torch.stack([log_p[:, coarse_of_fine == c].logsumexp(dim=1) for c in range(num_coarse)], dim=1)


def coarse_loss_from_fine(fine_logits, coarse_labels, coarse_of_fine, num_coarse):
    return -coarse_log_probs(fine_logits, coarse_of_fine, num_coarse).gather(1, coarse_labels[:, None]).sum()"""
    },
    "accuracy_with_the_sum_rule": {
        "answer_accuracy": """def coarse_from_fine_accuracy(fine_logits, coarse_labels, coarse_of_fine):
    probs = torch.zeros(len(fine_logits), int(coarse_of_fine.max()) + 1).index_add(1, coarse_of_fine, fine_logits.softmax(1))
    return (probs.argmax(1) == coarse_labels).float().mean().item()"""
    },
    "accuracy_as_a_tensor": {
        "answer_accuracy": """def coarse_from_fine_accuracy(fine_logits, coarse_labels, coarse_of_fine):
    return (coarse_of_fine[fine_logits.argmax(dim=1)] == coarse_labels).float().mean()"""
    },
}

CORRECT = {
    "loops_and_a_max_shift": {
        "answer_map": """def coarse_of_fine(fine_names, superclasses):
    result = []
    for fine in fine_names:
        homes = [i for i, members in enumerate(superclasses.values()) if fine in members]
        if len(homes) != 1:
            raise ValueError(f"{fine} is in {len(homes)} superclasses, expected exactly one")
        result.append(homes[0])
    return torch.as_tensor(result, dtype=torch.int64)""",
        "answer_log_probs": """def coarse_log_probs(fine_logits, coarse_of_fine, num_coarse):
    if coarse_of_fine.ndim != 1 or coarse_of_fine.numel() != fine_logits.shape[-1]:
        raise ValueError("coarse_of_fine needs one entry per fine class")
    shift = fine_logits.max(dim=1, keepdim=True).values.detach()
    e = (fine_logits - shift).exp()
    sums = torch.zeros(e.shape[0], num_coarse, dtype=e.dtype).index_add(1, coarse_of_fine, e)
    # a superclass whose members all underflow: fall back to logsumexp of its members
    exact = torch.stack(
        [(fine_logits - shift)[:, coarse_of_fine == c].logsumexp(dim=1) for c in range(num_coarse)], dim=1
    )
    safe = torch.where(sums > 1e-30, sums.clamp_min(1e-30).log(), exact)
    return safe - e.sum(dim=1, keepdim=True).log()


def coarse_loss_from_fine(fine_logits, coarse_labels, coarse_of_fine, num_coarse):
    log_p = coarse_log_probs(fine_logits, coarse_of_fine, num_coarse)
    return torch.nn.functional.nll_loss(log_p, coarse_labels)""",
        "answer_accuracy": """def coarse_from_fine_accuracy(fine_logits, coarse_labels, coarse_of_fine):
    hits = sum(int(coarse_of_fine[f]) == int(c) for f, c in zip(fine_logits.argmax(dim=1), coarse_labels))
    return hits / len(coarse_labels)""",
    },
}

CAUGHT_BY_VISIBLE = {
    "map_as_float",
    "log_of_summed_softmax",
    "sum_of_log_probabilities",
    "logsumexp_without_normalising",
    "softmax_over_the_batch",
    "detached_probabilities",
    "loss_summed_over_the_batch",
    "accuracy_as_a_tensor",
}
