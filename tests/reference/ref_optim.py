"""References for the optimizers: three steps of torch.optim.AdamW and SGD on fixed
gradients, with weight decay, momentum and Nesterov."""
import torch

from common import Cases


def run(optimizer_factory, p0, grads, lrs):
    p = p0.clone().requires_grad_(True)
    opt = optimizer_factory([p])
    for g, lr in zip(grads, lrs):
        for group in opt.param_groups:
            group["lr"] = lr
        p.grad = g.clone()
        opt.step()
    return p.detach()


def build():
    c = Cases(seed=0)
    p0 = torch.randn(5, 7)
    grads = torch.randn(3, 5, 7)
    lrs = [1e-2, 5e-3, 2e-3]
    c.add("inputs", p0=p0, grads=grads, lrs=torch.tensor(lrs, dtype=torch.float64))
    c.add("adamw", y=run(lambda ps: torch.optim.AdamW(ps, betas=(0.9, 0.99), eps=1e-8,
                                                       weight_decay=0.05), p0, grads, lrs))
    c.add("sgd", y=run(lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=1e-3),
                       p0, grads, lrs))
    c.add("sgd_nesterov", y=run(lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
                                p0, grads, lrs))
    c.add("sgd_plain", y=run(lambda ps: torch.optim.SGD(ps, lr=0.1), p0, grads, lrs))
    return c.tensors
