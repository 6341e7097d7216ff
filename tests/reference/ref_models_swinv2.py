"""Parity references for Swin v2 (fovea's swinv2_tiny_window8_256): torchvision's
swin_v2_t at 256, whose single qkv.bias (with a k third that its forward zeroes) fovea
splits into timm's q_bias and v_bias, and timm's model at img_size 64, where the windows
of stages 1-3 are clamped to their grids (8, 4, 2) and only stage 0 shifts."""
import torch
import torchvision
import timm

from common import model_case
from ref_models_swin import randomize_swin


def build_files():
    torch.manual_seed(0)
    tv = torchvision.models.swin_v2_t(num_classes=10)
    randomize_swin(tv)
    yield "swin_v2_t_tv", model_case(tv, torch.randn(1, 3, 256, 256), [
        "features.0.0.weight", "features.1.0.attn.logit_scale",
        "features.3.1.attn.cpb_mlp.0.weight", "features.4.norm.weight",
        "features.5.4.attn.cpb_mlp.2.weight", "head.weight"])

    torch.manual_seed(1)
    tm = timm.create_model("swinv2_tiny_window8_256", num_classes=10, img_size=64)
    randomize_swin(tm, seed=1)
    yield "swinv2_tiny_timm_64", model_case(tm, torch.randn(2, 3, 64, 64), [
        "patch_embed.proj.weight", "layers.0.blocks.0.attn.logit_scale",
        "layers.0.blocks.1.attn.q_bias", "layers.0.blocks.1.attn.v_bias",
        "layers.1.downsample.reduction.weight", "layers.2.blocks.3.attn.cpb_mlp.0.weight",
        "head.fc.weight"])
