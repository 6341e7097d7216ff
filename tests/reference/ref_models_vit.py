"""Parity references for the ViT family: torchvision's vit_b_16 and vit_l_16 (through
fovea's key map) and timm's vit_base_patch14_dinov2 (RAD-DINO's architecture, which
exercises timm's names for the same VisionTransformer class, LayerScale included), all at
a 2x2 patch grid so that the tokens are few; and timm's resampling of a position
embedding to other grids.

timm's vit_base_patch16_224 is left out on purpose: it is torchvision's vit_b_16 with
timm's names, both already covered, and each ViT-B case costs a 350 MB file and about
17 s of CPU in CI."""
import timm
import torch
import torchvision
from timm.layers import resample_abs_pos_embed

from common import model_case, randomize_norms


def randomize_near_zero(model: torch.nn.Module, seed: int = 0):
    """Parameters that start at (or near) zero, such as torchvision's zero classifier,
    timm's class token and the biases, would hide mistakes in how they are used; give
    them N(0, 0.02) values."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            if p.abs().max() <= 1e-4:
                p.copy_(torch.randn(p.shape, generator=generator) * 0.02)


def torchvision_vit(name, seed):
    torch.manual_seed(seed)
    model = getattr(torchvision.models, name)(weights=None, image_size=32, num_classes=10)
    randomize_norms(model, seed)
    randomize_near_zero(model, seed)
    return model


def build_files():
    layer = "encoder.layers.encoder_layer_{}."
    base_grads = ["conv_proj.weight", "class_token", "encoder.pos_embedding",
                  layer.format(5) + "self_attention.in_proj_weight",
                  layer.format(5) + "mlp.3.bias", "encoder.ln.weight", "heads.head.weight"]
    yield "vit_b_16", model_case(torchvision_vit("vit_b_16", 0), torch.randn(2, 3, 32, 32),
                                 base_grads)
    # ViT-L is 304M parameters (1.2 GB in f32): one image keeps the case as cheap as it gets.
    large_grads = ["conv_proj.weight", layer.format(12) + "self_attention.out_proj.weight",
                   "heads.head.bias"]
    yield "vit_l_16", model_case(torchvision_vit("vit_l_16", 1), torch.randn(1, 3, 32, 32),
                                 large_grads)

    # RAD-DINO: DINOv2's ViT-B/14 with LayerScale. Its gammas start at 1e-5, which would
    # make every block nearly the identity; realistic values exercise the blocks.
    torch.manual_seed(3)
    dino = timm.create_model("vit_base_patch14_dinov2", img_size=28, num_classes=10)
    randomize_norms(dino, 3)
    with torch.no_grad():
        for name, p in dino.named_parameters():
            if name.endswith(".gamma"):
                p.uniform_(0.2, 1.0)
    randomize_near_zero(dino, 3)
    yield "raddino", model_case(
        dino, torch.randn(2, 3, 28, 28),
        ["patch_embed.proj.weight", "pos_embed", "blocks.3.ls1.gamma", "blocks.3.attn.proj.weight",
         "blocks.11.ls2.gamma", "head.bias"])

    # Position embeddings resampled from timm's 14x14 grid (plus class token), down and up.
    torch.manual_seed(4)
    src = torch.randn(1, 1 + 14 * 14, 32)
    yield "pos_embed_resample", {
        "src": src,
        "grid_4": resample_abs_pos_embed(src, (4, 4), num_prefix_tokens=1, antialias=False),
        "grid_24": resample_abs_pos_embed(src, (24, 24), num_prefix_tokens=1, antialias=False),
        "grid_37": resample_abs_pos_embed(src, (37, 37), num_prefix_tokens=1, antialias=False),
    }
