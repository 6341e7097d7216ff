"""References for softmax, log_softmax and the losses (f32).

Targets, class weights, alpha and pos_weight are stored with c.add() beside each case and
are not inputs of the recorded function: fovea treats them as constants, so only the
scores' gradients are compared.
"""
import itertools

import torch
import torch.nn.functional as F

from common import Cases

IGNORE = -100


def focal_reference(logits, target, alpha, gamma, reduction, ignore_index=IGNORE):
    """Lin et al. 2017, written out: -alpha_y (1 - p_y)^gamma log p_y, mean over the
    samples that are not ignored."""
    keep = target != ignore_index
    safe = target.masked_fill(~keep, 0)
    log_p = F.log_softmax(logits, dim=1).gather(1, safe[:, None])[:, 0]
    if alpha is None:
        a = torch.ones_like(log_p)
    elif alpha.numel() == 1:
        a = alpha.reshape(()).expand_as(log_p)
    else:
        a = alpha[safe]
    loss = -a * (1 - log_p.exp()) ** gamma * log_p
    loss = torch.where(keep, loss, torch.zeros_like(loss))
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / keep.sum()


def build():
    c = Cases(seed=0)

    # ---- softmax family, along the last, a middle and the first dim
    x = torch.randn(3, 4, 5) * 3
    for dim, where in ((-1, "last"), (1, "mid"), (0, "first")):
        c.record(f"softmax_{where}", lambda input, dim=dim: torch.softmax(input, dim), input=x)
        c.record(f"log_softmax_{where}", lambda input, dim=dim: torch.log_softmax(input, dim),
                 input=x)

    # ---- cross_entropy: {hard, soft} x {no weight, weight} x {eps 0, 0.1} x reductions.
    n, classes = 7, 5
    logits = torch.randn(n, classes) * 2
    hard = torch.randint(0, classes, (n,))
    hard[1] = IGNORE
    hard[4] = IGNORE
    soft = torch.softmax(torch.randn(n, classes), dim=1)
    weight = torch.rand(classes) + 0.3
    grid = itertools.product(("hard", "soft"), (False, True), (0.0, 0.1),
                             ("mean", "sum", "none"))
    for kind, weighted, eps, reduction in grid:
        case = f"ce_{kind}_{'w' if weighted else 'nw'}_ls{int(eps * 10)}_{reduction}"
        target = hard if kind == "hard" else soft
        w = weight if weighted else None
        c.record(case, lambda logits, t=target, w=w, eps=eps, r=reduction: F.cross_entropy(
            logits, t, weight=w, label_smoothing=eps, reduction=r), logits=logits)
        c.add(case, target=target, weight=w)

    # ignore_index naming a real class, with weights and smoothing
    valid = torch.randint(0, classes, (n,))
    valid[2] = 3
    c.record("ce_ignore_class3", lambda logits: F.cross_entropy(
        logits, valid, weight=weight, ignore_index=3, label_smoothing=0.2), logits=logits)
    c.add("ce_ignore_class3", target=valid, weight=weight)

    # ---- nll_loss, weighted, with ignored targets
    log_probs = F.log_softmax(torch.randn(n, classes), dim=1)
    for reduction in ("mean", "sum", "none"):
        case = f"nll_w_{reduction}"
        c.record(case, lambda log_probs, r=reduction: F.nll_loss(
            log_probs, hard, weight=weight, reduction=r), log_probs=log_probs)
        c.add(case, target=hard, weight=weight)

    # ---- focal loss against the explicit formula
    scalar_alpha = torch.tensor([0.25])
    for alpha_kind, gamma, reduction in itertools.product(
            ("none", "scalar", "class"), (0.0, 2.0), ("mean", "sum", "none")):
        alpha = {"none": None, "scalar": scalar_alpha, "class": weight}[alpha_kind]
        case = f"focal_{alpha_kind}_g{int(gamma)}_{reduction}"
        c.record(case, lambda logits, a=alpha, g=gamma, r=reduction: focal_reference(
            logits, hard, a, g, r), logits=logits)
        c.add(case, target=hard, alpha=alpha)

    # ---- binary cross entropy with logits (multi-label), including +-50 logits
    multi = torch.randn(6, 4) * 3
    multi[0, :] = torch.tensor([50.0, -50.0, 45.0, -48.0])
    labels = (torch.rand(6, 4) > 0.5).float()
    labels[0, :] = torch.tensor([0.0, 1.0, 1.0, 0.0])  # confidently wrong, then right
    bce_weight = torch.rand(6, 1) + 0.5
    pos_weight = torch.rand(4) * 3 + 0.5
    for name, w, pw in (("plain", None, None), ("weight", bce_weight, None),
                        ("pos", None, pos_weight), ("both", bce_weight, pos_weight)):
        for reduction in ("mean", "sum", "none"):
            case = f"bce_{name}_{reduction}"
            c.record(case, lambda logits, w=w, pw=pw, r=reduction:
                     F.binary_cross_entropy_with_logits(logits, labels, weight=w, pos_weight=pw,
                                                        reduction=r), logits=multi)
            c.add(case, target=labels, weight=w, pos_weight=pw)

    # ---- mse
    a, b = torch.randn(3, 5), torch.randn(3, 5)
    for reduction in ("mean", "sum", "none"):
        c.record(f"mse_{reduction}", lambda input, target, r=reduction: F.mse_loss(
            input, target, reduction=r), input=a, target=b)
    return c.tensors
