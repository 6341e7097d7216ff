"""References for elementwise ops, activations and reductions (f32)."""
import torch
import torch.nn.functional as F

from common import Cases


def build():
    c = Cases(seed=0)
    a = torch.randn(2, 3, 5)
    b = torch.randn(3, 1)
    positive = torch.rand(2, 3, 5) + 0.5
    c.record("add", lambda a, b: a + b, a=a, b=b)
    c.record("sub", lambda a, b: a - b, a=a, b=b)
    c.record("mul", lambda a, b: a * b, a=a, b=b)
    c.record("div", lambda a, b: a / b, a=a, b=torch.rand(3, 1) + 0.5)
    c.record("pow", lambda a, b: torch.pow(a, b), a=positive, b=torch.randn(3, 1))
    c.record("pow_scalar", lambda a: a ** 2.5, a=positive)
    c.record("maximum", torch.maximum, input=a, other=b)
    c.record("minimum", torch.minimum, input=a, other=b)
    c.record("neg", torch.neg, input=a)
    c.record("exp", torch.exp, input=a)
    c.record("log", torch.log, input=positive)
    c.record("sqrt", torch.sqrt, input=positive)
    c.record("rsqrt", torch.rsqrt, input=positive)
    c.record("abs", torch.abs, input=a)
    c.record("reciprocal", torch.reciprocal, input=positive)
    c.record("clamp", lambda input: torch.clamp(input, -0.5, 0.7), input=a)
    c.record("where", lambda a, b: torch.where(a > 0, a, b), a=a, b=b)

    x = torch.randn(4, 7) * 4
    c.record("relu", F.relu, input=x)
    c.record("relu6", F.relu6, input=x)
    c.record("gelu", F.gelu, input=x)
    c.record("gelu_tanh", lambda input: F.gelu(input, approximate="tanh"), input=x)
    c.record("silu", F.silu, input=x)
    c.record("sigmoid", torch.sigmoid, input=x)
    c.record("tanh", torch.tanh, input=x)
    c.record("hardswish", F.hardswish, input=x)
    c.record("hardsigmoid", F.hardsigmoid, input=x)
    c.record("softplus", lambda input: F.softplus(input, beta=2.0, threshold=5.0), input=x)

    r = torch.randn(3, 4, 5, 6)
    c.record("sum_12", lambda input: input.sum(dim=(1, 2)), input=r)
    c.record("sum_all", lambda input: input.sum(), input=r)
    c.record("sum_02_keep", lambda input: input.sum(dim=(0, 2), keepdim=True), input=r)
    c.record("mean_last", lambda input: input.mean(dim=-1), input=r)
    c.record("mean_013", lambda input: input.mean(dim=(0, 1, 3)), input=r)
    c.record("var_unbiased", lambda input: input.var(dim=(1, 3)), input=r)
    c.record("var_biased", lambda input: input.var(dim=2, unbiased=False, keepdim=True), input=r)
    c.record("max_dim", lambda input: input.max(dim=1).values, input=r)
    c.add("argmax", input=r, y=r.argmax(dim=3))
    return c.tensors
