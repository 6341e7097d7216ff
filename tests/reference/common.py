"""Helpers shared by the reference builders (tests/reference/ref_*.py)."""
import copy
import os
import pathlib

import torch

try:
    from safetensors.torch import save_file
except ImportError as error:  # pragma: no cover - explained to the user instead
    raise SystemExit(
        "the 'safetensors' Python package is missing: ./test.sh installs it into "
        "build/pydeps (pip install --no-deps --target build/pydeps safetensors)") from error

torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))


class Cases:
    """Collects named tensors as '<case>.<role>' keys."""

    def __init__(self, seed: int = 0):
        self.tensors = {}
        torch.manual_seed(seed)

    def add(self, case: str, **named):
        for role, value in named.items():
            if value is None:
                continue
            key = f"{case}.{role}"
            assert key not in self.tensors, f"duplicate reference key {key}"
            self.tensors[key] = value.detach().contiguous().clone()

    def record(self, case: str, fn, **inputs):
        """Runs fn(**inputs) with grad, backpropagates a random gradient, and stores the
        inputs, the output 'y', the upstream gradient 'gy' and 'grad_<input>' for every
        floating input."""
        leaves = {name: value.detach().clone().requires_grad_(value.is_floating_point())
                  for name, value in inputs.items()}
        y = fn(**leaves)
        gy = torch.randn_like(y)
        y.backward(gy)
        grads = {f"grad_{name}": leaf.grad for name, leaf in leaves.items()
                 if leaf.grad is not None}
        self.add(case, **leaves, y=y, gy=gy, **grads)
        return y


def nhwc(t: torch.Tensor) -> torch.Tensor:
    """NCHW -> NHWC (and OIHW conv weights -> OHWI, fovea's layout)."""
    return t.permute(0, 2, 3, 1).contiguous()


def nchw(t: torch.Tensor) -> torch.Tensor:
    """NHWC -> NCHW."""
    return t.permute(0, 3, 1, 2).contiguous()


def save(tensors: dict, path: pathlib.Path):
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(path))


def randomize_norms(model: torch.nn.Module, seed: int = 0):
    """Fresh PyTorch models have BatchNorm at weight 1, bias 0, mean 0, var 1, which
    would hide mistakes in how a model uses its norms; give them random values."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (torch.nn.BatchNorm2d, torch.nn.LayerNorm, torch.nn.GroupNorm)):
                if getattr(module, "weight", None) is not None:
                    module.weight.uniform_(0.5, 1.5, generator=generator)
                    module.bias.uniform_(-0.2, 0.2, generator=generator)
                if isinstance(module, torch.nn.BatchNorm2d) and module.running_mean is not None:
                    module.running_mean.uniform_(-0.2, 0.2, generator=generator)
                    module.running_var.uniform_(0.5, 1.5, generator=generator)


def model_case(model: torch.nn.Module, x_nchw: torch.Tensor, grad_params=(),
               float64: bool = True) -> dict:
    """A model parity case: runs `model` in eval mode on x, backpropagates a random
    gradient, and returns 'input' and 'grad_input' (NHWC), 'logits', 'gy', every
    state_dict entry as 'state.<key>' (PyTorch layout and names), and the gradients of
    the named parameters as 'grad.<key>'.

    With float64 (the default), the f32 model and input run in double precision (on a
    copy: `model` stays f32) and everything is stored back as f32 (the weights and input
    exactly), so that fovea is judged against the exact answer rather than against
    PyTorch's own f32 rounding, which in deep networks can drift by more than the
    tolerance (with PyTorch 1.13's oneDNN convolutions, seresnext50_32x4d's input gradient
    is 7e-4 off the float64 answer). fovea's f64 pass (tests/support/model_parity.cpp)
    then agrees with it to the f32 storage's rounding."""
    if float64:
        model64 = copy.deepcopy(model).double()
        model64.zero_grad(set_to_none=True)
        case = model_case(model64, x_nchw.double(), grad_params, float64=False)
        return {k: v.float() if v.is_floating_point() else v for k, v in case.items()}
    model.eval()
    x = x_nchw.detach().clone().requires_grad_(True)
    logits = model(x)
    gy = torch.randn(logits.shape).to(logits.dtype)  # f32 values, also in float64 runs
    logits.backward(gy)
    out = {"input": nhwc(x), "grad_input": nhwc(x.grad), "logits": logits, "gy": gy}
    for key, value in model.state_dict().items():
        out[f"state.{key}"] = value
    params = dict(model.named_parameters())
    for key in grad_params:
        out[f"grad.{key}"] = params[key].grad
    return {k: v.detach().contiguous().clone() for k, v in out.items()}
