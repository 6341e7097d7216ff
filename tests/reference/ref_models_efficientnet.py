"""Parity references for EfficientNet: torchvision's B0..B4 (timm's architecture under
other names; fovea maps the keys) and timm's B0 and B4, the two ends of the compound
scaling, with random weights and norm statistics on a 64x64 batch of two (stride 32
leaves a 2x2 map). timm's B1..B3 share B0's code and torchvision's B1..B3 weights; their
timm names and shapes are checked exactly by tests/models/efficientnet_unit.cpp, which
keeps this file within the CI budget (PyTorch 1.13's CPU backward takes seconds here).
SiLU and sigmoid are smooth, so any random input is well conditioned (compare
ref_models_mobilenet.py)."""
import timm
import torch
import torchvision

from common import model_case, randomize_norms

# The stem, the first (depthwise-separable) block, a squeeze-excite in the middle and the
# classifier, in each library's names.
TORCHVISION_GRADS = ["features.0.0.weight", "features.1.0.block.0.0.weight",
                     "features.4.0.block.2.fc1.weight", "classifier.1.weight"]
TIMM_GRADS = ["conv_stem.weight", "blocks.0.0.conv_dw.weight",
              "blocks.3.0.se.conv_reduce.weight", "classifier.weight"]


def build_files():
    for seed, variant in enumerate(["b0", "b1", "b2", "b3", "b4"]):
        name = f"efficientnet_{variant}"
        torch.manual_seed(seed)
        model = getattr(torchvision.models, name)(weights=None, num_classes=10)
        randomize_norms(model, seed)
        yield f"tv_{name}", model_case(model, torch.randn(2, 3, 64, 64), TORCHVISION_GRADS)

        if variant in ("b0", "b4"):
            torch.manual_seed(seed)
            model = timm.create_model(name, num_classes=10)
            randomize_norms(model, seed)
            yield f"timm_{name}", model_case(model, torch.randn(2, 3, 64, 64), TIMM_GRADS)
