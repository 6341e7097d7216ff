"""Parity reference for CoAtNet: timm's coatnet_0_rw_224 (timm only; torchvision has no
CoAtNet) at 64x64, the smallest input that keeps every stage (the last one is 2x2)."""
import timm
import torch

from common import model_case, randomize_norms


def build_files():
    torch.manual_seed(0)
    model = timm.create_model("coatnet_0_rw_224", img_size=64, num_classes=10)
    randomize_norms(model)
    yield "coatnet_0_rw_224", model_case(
        model, torch.randn(2, 3, 64, 64),
        ["stem.conv1.weight", "stages.0.blocks.0.se_early.fc1.weight",
         "stages.1.blocks.2.conv2_kxk.weight",
         "stages.2.blocks.0.attn.rel_pos.relative_position_bias_table",
         "stages.2.blocks.3.attn.qkv.weight", "stages.3.blocks.1.mlp.fc2.bias", "head.fc.weight"])
