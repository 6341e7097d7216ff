"""Parity references for MobileNetV2 (torchvision's mobilenet_v2 = timm's mobilenetv2_100
under other names) and MobileNetV3-Large (timm only: torchvision's mobilenet_v3_large uses
BatchNorm eps 1e-3 and a Linear head where timm has eps 1e-5 and a 1x1 conv), with random
weights and norm statistics, on a 64x64 batch of two."""
import copy

import timm
import torch
import torchvision

from common import model_case, nchw, nhwc, randomize_norms


def _agrees_with_float64(model64, case, tolerance):
    model64.zero_grad(set_to_none=True)
    x = nchw(case["input"]).double().requires_grad_(True)
    logits = model64(x)
    logits.backward(case["gy"].double())
    params = dict(model64.named_parameters())
    exact = {"logits": logits, "grad_input": nhwc(x.grad)}
    exact.update({key: params[key[len("grad."):]].grad
                  for key in case if key.startswith("grad.")})
    return all((case[key].double() - value).abs().max() <= tolerance * value.abs().max()
               for key, value in exact.items())


def conditioned_case(model, seed, grad_params, tolerance=1e-5, tries=10):
    """model_case on the first input (drawn from `seed`) whose float32 results agree with float64 within
    `tolerance` (relative to each tensor's largest value). ReLU6 and hard-swish have kinks;
    an activation that lands within float32 rounding of one takes either side depending on
    the order of the sums, and the gradient over its receptive field changes with it: on
    such an input PyTorch's own float32 and float64 input gradients differ by up to 3%. It
    would test luck rather than fovea, so it is skipped. About half of the random inputs
    are; the seeds below give a good one at the first draw with PyTorch 1.13 on x86-64."""
    model.eval()
    model64 = copy.deepcopy(model).double()
    generator = torch.Generator().manual_seed(seed)
    for _ in range(tries):
        model.zero_grad(set_to_none=True)
        x = torch.randn(2, 3, 64, 64, generator=generator)
        case = model_case(model, x, grad_params, float64=False)
        if _agrees_with_float64(model64, case, tolerance):
            return model_case(model, x, grad_params)  # stored as computed in float64
    raise SystemExit(f"no well-conditioned input for {type(model).__name__} in {tries} tries")


def build_files():
    torch.manual_seed(0)
    model = torchvision.models.mobilenet_v2(weights=None, num_classes=10)
    randomize_norms(model)
    yield "tv_mobilenetv2_100", conditioned_case(
        model, 0,
        ["features.0.0.weight", "features.1.conv.1.weight", "features.9.conv.1.0.weight",
         "classifier.1.weight"])

    torch.manual_seed(1)
    model = timm.create_model("mobilenetv2_100", num_classes=10)
    randomize_norms(model, 1)
    yield "timm_mobilenetv2_100", conditioned_case(
        model, 2,
        ["conv_stem.weight", "blocks.0.0.conv_pw.weight", "blocks.3.1.conv_dw.weight",
         "classifier.weight"])

    torch.manual_seed(2)
    model = timm.create_model("mobilenetv3_large_100", num_classes=10)
    randomize_norms(model, 2)
    yield "timm_mobilenetv3_large_100", conditioned_case(
        model, 3,
        ["conv_stem.weight", "blocks.2.0.se.conv_reduce.weight", "blocks.6.0.conv.weight",
         "conv_head.weight", "classifier.weight"])
