"""Parity references for ConvNeXt-T: torchvision's convnext_tiny and timm's. Inputs are
64x64, which leaves a 2x2 map in the last stage."""
import timm
import torch
import torchvision

from common import model_case, randomize_norms

NUM_CLASSES = 10


def randomize_layer_scale(model):
    """Layer scale starts at 1e-6, which would hide every residual branch from the check."""
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("gamma") or name.endswith("layer_scale"):
                p.uniform_(0.2, 0.6, generator=generator)


def case(model, grad_params):
    randomize_norms(model)
    randomize_layer_scale(model)
    return model_case(model, torch.randn(2, 3, 64, 64), grad_params)


def build_files():
    torch.manual_seed(0)
    yield "convnext_tiny_torchvision", case(
        torchvision.models.convnext_tiny(weights=None, num_classes=NUM_CLASSES),
        ["features.0.0.weight", "features.5.4.block.0.weight", "features.5.4.layer_scale",
         "features.6.1.weight", "classifier.0.weight", "classifier.2.weight"])
    torch.manual_seed(1)
    yield "convnext_tiny", case(
        timm.create_model("convnext_tiny", num_classes=NUM_CLASSES),
        ["stem.0.weight", "stages.2.blocks.4.conv_dw.weight", "stages.2.blocks.4.gamma",
         "stages.3.downsample.1.weight", "head.norm.weight", "head.fc.weight"])
