"""References for batch norm, layer norm and group norm (f32).

fovea is NHWC: every input is stored channels-last, and the functions below permute to
PyTorch's NCHW (channels-first) around the torch call, so the gradients stored are for
the NHWC tensors fovea sees. Batch norm cases also store the running stats before
('running_mean', 'running_var') and after ('new_running_mean', 'new_running_var') the call.

The '*_large' cases check how accurately fovea accumulates statistics over thousands of
values. PyTorch's f32 CPU kernels are themselves off by up to ~1e-4 there (their weight
and bias gradients sum in f32), so these cases run PyTorch in f64 on f32-exact inputs and
store the results rounded to f32: the reference is then the correctly rounded answer.
"""
import torch
import torch.nn.functional as F

from common import Cases, nhwc


def channels_first(x):
    """[N, ..., C] -> [N, C, ...] for any rank >= 2."""
    return x.permute(0, x.dim() - 1, *range(1, x.dim() - 1))


def channels_last(x):
    """[N, C, ...] -> [N, ..., C]."""
    return x.permute(0, *range(2, x.dim()), 1)


def image(n, channels, h, w, scale=1.0, shift=0.0):
    """A random image batch drawn NCHW, as PyTorch holds it, and stored NHWC."""
    return nhwc(torch.randn(n, channels, h, w) * scale + shift)


def in_f64(c, name, case, x, *args, **kwargs):
    """Builds a case from PyTorch in f64 and stores it in f32 (see the module comment)."""
    case(c, name, x.double(), *args, **kwargs)
    for key, value in c.tensors.items():
        if key.startswith(name + "."):
            c.tensors[key] = value.float()


def param(shape, like, low=None):
    """A random parameter drawn in f32 (so f32-exact) in x's dtype: uniform in
    [low, low + 1) when low is given, else standard normal."""
    value = torch.randn(shape) if low is None else torch.rand(shape) + low
    return value.to(like.dtype)


def batch_norm_case(c, name, x, affine=True, training=True, running=True, momentum=0.1):
    channels = x.shape[-1]
    weight = param(channels, x, 0.5) if affine else None
    bias = param(channels, x) if affine else None
    running_mean = param(channels, x) if running else None
    running_var = param(channels, x, 0.5) if running else None
    new_mean = running_mean.clone() if running else None
    new_var = running_var.clone() if running else None

    def fn(x, weight=None, bias=None):
        y = F.batch_norm(channels_first(x), new_mean, new_var, weight, bias,
                         training=training, momentum=momentum, eps=1e-5)
        return channels_last(y)

    inputs = {"x": x}
    if affine:
        inputs.update(weight=weight, bias=bias)
    c.record(name, fn, **inputs)
    c.add(name, running_mean=running_mean, running_var=running_var,
          new_running_mean=new_mean, new_running_var=new_var)


def layer_norm_case(c, name, x, normalized_shape, affine=True):
    inputs = {"x": x}
    if affine:
        inputs.update(weight=param(normalized_shape, x, 0.5), bias=param(normalized_shape, x))
    # fovea is NHWC, so LayerNorm over [C] is torch's layer_norm on the same tensor
    # (timm's LayerNorm2d permutes NCHW to exactly this).
    c.record(name, lambda x, weight=None, bias=None:
             F.layer_norm(x, normalized_shape, weight, bias, eps=1e-5), **inputs)


def group_norm_case(c, name, x, groups, affine=True):
    channels = x.shape[-1]
    inputs = {"x": x}
    if affine:
        inputs.update(weight=param(channels, x, 0.5), bias=param(channels, x))
    c.record(name, lambda x, weight=None, bias=None: channels_last(
        F.group_norm(channels_first(x), groups, weight, bias, eps=1e-5)), **inputs)


def build():
    c = Cases(seed=0)
    batch_norm_case(c, "bn_train", image(2, 7, 5, 3, 2.0, 0.5))
    batch_norm_case(c, "bn_train_momentum", image(3, 4, 2, 2), momentum=0.3)
    batch_norm_case(c, "bn_eval", image(2, 7, 4, 3), training=False)
    batch_norm_case(c, "bn_noaffine", torch.randn(6, 5), affine=False)
    batch_norm_case(c, "bn_untracked", image(2, 3, 3, 3), running=False)
    in_f64(c, "bn_large", batch_norm_case, image(8, 32, 16, 16, 3.0, 1.0))

    layer_norm_case(c, "ln_channels", image(2, 7, 4, 3, 2.0, 1.0), [7])
    layer_norm_case(c, "ln_last2", torch.randn(3, 4, 6), [4, 6])
    layer_norm_case(c, "ln_noaffine", torch.randn(3, 9), [9], affine=False)
    layer_norm_case(c, "ln_batch1", image(1, 5, 3, 3), [5])
    in_f64(c, "ln_large", layer_norm_case, image(8, 32, 16, 16, 3.0, 1.0), [32])
    in_f64(c, "ln_large_rows", layer_norm_case, torch.randn(2, 64, 96) * 2 + 1, [64, 96],
           affine=False)

    group_norm_case(c, "gn_2groups", image(2, 6, 3, 5), 2)
    group_norm_case(c, "gn_3groups", image(2, 9, 4, 4, 2.0, -1.0), 3)
    group_norm_case(c, "gn_odd", image(2, 7, 3, 3), 7)
    group_norm_case(c, "gn_batch1", image(1, 8, 5, 5), 4)
    group_norm_case(c, "gn_noaffine", image(2, 6, 2, 3), 3, affine=False)
    group_norm_case(c, "gn_nc", torch.randn(3, 6), 3)
    group_norm_case(c, "gn_nlc", torch.randn(2, 5, 6), 2)
    in_f64(c, "gn_large", group_norm_case, image(8, 32, 16, 16, 3.0, 1.0), 8)
    return c.tensors
