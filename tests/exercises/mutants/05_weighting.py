"""Mutants of exercise 05_weighting: {name: {answer cell id: what the student typed}}."""

_PCGRAD_HEAD = """def pcgrad(grads, order):
    projected = grads.clone()
    for i, others in enumerate(order):
        for j in others:
"""

_GRADNORM_HEAD = """def gradnorm_weight_grad(weights, norms, losses, initial_losses, alpha):
"""

WRONG = {
    "order_includes_the_task_itself": {
        "answer_order": """def pcgrad_order(num_tasks, generator):
    if num_tasks < 2:
        raise ValueError("need two tasks")
    return [torch.randperm(num_tasks, generator=generator).tolist() for _ in range(num_tasks)]"""
    },
    "one_permutation_for_every_task": {
        "answer_order": """def pcgrad_order(num_tasks, generator):
    if num_tasks < 2:
        raise ValueError("need two tasks")
    perm = torch.randperm(num_tasks, generator=generator).tolist()
    return [[j for j in perm if j != i] for i in range(num_tasks)]"""
    },
    "projects_in_place": {
        "answer_pcgrad": """def pcgrad(grads, order):
    originals = grads.clone()
    for i, others in enumerate(order):
        for j in others:
            dot = grads[i] @ originals[j]
            if dot < 0:
                grads[i] -= dot / (originals[j] @ originals[j]) * originals[j]
    return grads"""
    },
    "against_the_projected_g_j": {
        "answer_pcgrad": _PCGRAD_HEAD
        + """            dot = projected[i] @ projected[j]
            if dot < 0:
                projected[i] = projected[i] - dot / (projected[j] @ projected[j]) * projected[j]
    return projected"""
    },
    "projects_agreeing_gradients": {
        "answer_pcgrad": _PCGRAD_HEAD
        + """            dot = projected[i] @ grads[j]
            if dot > 0:
                projected[i] = projected[i] - dot / (grads[j] @ grads[j]) * grads[j]
    return projected"""
    },
    "divides_by_the_norm_not_its_square": {
        "answer_pcgrad": _PCGRAD_HEAD
        + """            dot = projected[i] @ grads[j]
            if dot < 0:
                projected[i] = projected[i] - dot / grads[j].norm() * grads[j]
    return projected"""
    },
    "conflict_tested_on_the_original_g_i": {
        "answer_pcgrad": _PCGRAD_HEAD
        + """            dot = grads[i] @ grads[j]
            if dot < 0:
                projected[i] = projected[i] - dot / (grads[j] @ grads[j]) * grads[j]
    return projected"""
    },
    "ignores_the_order": {
        "answer_pcgrad": """def pcgrad(grads, order):
    projected = grads.clone()
    for i in range(len(grads)):
        for j in range(len(grads)):
            if j == i:
                continue
            dot = projected[i] @ grads[j]
            if dot < 0:
                projected[i] = projected[i] - dot / (grads[j] @ grads[j]) * grads[j]
    return projected"""
    },
    "gradnorm_differentiates_through_the_target": {
        "answer_gradnorm": _GRADNORM_HEAD
        + """    w = weights.detach().clone().requires_grad_(True)
    scaled = w * norms
    ratios = losses / initial_losses
    target = scaled.mean() * (ratios / ratios.mean()) ** alpha  # not held constant
    (grad,) = torch.autograd.grad((scaled - target).abs().sum(), [w])
    return grad"""
    },
    "gradnorm_inverse_ratio": {
        "answer_gradnorm": _GRADNORM_HEAD
        + """    scaled = weights * norms
    ratios = initial_losses / losses
    target = scaled.mean() * (ratios / ratios.mean()) ** alpha
    return torch.sign(scaled - target) * norms"""
    },
    "gradnorm_ratio_not_relative": {
        "answer_gradnorm": _GRADNORM_HEAD
        + """    scaled = weights * norms
    target = scaled.mean() * (losses / initial_losses) ** alpha
    return torch.sign(scaled - target) * norms"""
    },
}

CORRECT = {
    "remove_autograd_and_where": {
        "answer_order": """def pcgrad_order(num_tasks, generator):
    if num_tasks <= 1:
        raise ValueError(f"{num_tasks} task(s): PCGrad needs at least two")
    order = []
    for i in range(num_tasks):
        perm = torch.randperm(num_tasks, generator=generator).tolist()
        perm.remove(i)
        order.append(perm)
    return order""",
        "answer_pcgrad": """def pcgrad(grads, order):
    rows = []
    for i, others in enumerate(order):
        g = grads[i].clone()
        for j in others:
            gj = grads[j]
            coef = torch.clamp(torch.dot(g, gj), max=0.0) / torch.dot(gj, gj)
            g = g - coef * gj
        rows.append(g)
    return torch.stack(rows)""",
        "answer_gradnorm": """def gradnorm_weight_grad(weights, norms, losses, initial_losses, alpha):
    w = weights.detach().clone().requires_grad_(True)
    G = w * norms
    r = (losses / initial_losses) / (losses / initial_losses).mean()
    target = (G.mean() * r**alpha).detach()  # a constant, as in the paper
    (grad,) = torch.autograd.grad((G - target).abs().sum(), [w])
    return grad""",
    },
}

CAUGHT_BY_VISIBLE = {
    "order_includes_the_task_itself",
    "projects_in_place",
    "projects_agreeing_gradients",
    "divides_by_the_norm_not_its_square",
    "conflict_tested_on_the_original_g_i",
}
