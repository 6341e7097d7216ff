"""Helpers shared by the reference builders (tests/reference/ref_*.py)."""
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
