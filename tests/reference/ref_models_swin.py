"""Parity references for Swin v1 (fovea's swin_tiny_patch4_window7_224): torchvision's
swin_t at 224 (the only size where its padding agrees with timm's window clamping), and
timm's model at img_size 64, where timm pads stages 0-1 to whole windows, clamps the
windows of stages 2-3 to their grids and drops the shift there. Batch 2 at 64 checks that
the shifted-window mask is applied per image."""
import torch
import torchvision
import timm

from common import model_case, randomize_norms


def randomize_swin(model: torch.nn.Module, seed: int = 0):
    """Fresh Swin weights hide mistakes: zero biases, a position bias table of std 0.02,
    every logit scale at log(10), zero-initialised post-norms (v2). Give them values that
    matter, and put the first head of the first v2 block beyond the log(100) clamp (only
    there: a temperature of 100 in every block makes the f32 gradients themselves
    uncertain to about 3e-5)."""
    randomize_norms(model, seed)
    generator = torch.Generator().manual_seed(seed)
    first_logit_scale = True
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("relative_position_bias_table"):
                p.normal_(0.0, 1.0, generator=generator)
            elif name.endswith("logit_scale"):
                p.uniform_(1.5, 3.5, generator=generator)
                if first_logit_scale:
                    p.view(-1)[0] = 5.0  # clamped at log(100) = 4.6: no gradient
                    first_logit_scale = False
            elif "cpb_mlp" in name:
                p.normal_(0.0, 1.0 if name.endswith("0.weight") else 0.1, generator=generator)
            elif name.endswith("bias") or name.endswith("q_bias") or name.endswith("v_bias"):
                p.normal_(0.0, 0.05, generator=generator)


def build_files():
    torch.manual_seed(0)
    tv = torchvision.models.swin_t(num_classes=10)
    randomize_swin(tv)
    yield "swin_t_tv", model_case(tv, torch.randn(1, 3, 224, 224), [
        "features.0.0.weight", "features.3.1.attn.relative_position_bias_table",
        "features.4.reduction.weight", "features.7.1.mlp.3.weight", "head.weight"])

    torch.manual_seed(1)
    tm = timm.create_model("swin_tiny_patch4_window7_224", num_classes=10, img_size=64)
    randomize_swin(tm, seed=1)
    yield "swin_tiny_timm_64", model_case(tm, torch.randn(2, 3, 64, 64), [
        "patch_embed.proj.weight", "layers.0.blocks.1.attn.relative_position_bias_table",
        "layers.1.blocks.1.attn.qkv.weight", "layers.2.downsample.norm.weight",
        "layers.3.blocks.0.attn.relative_position_bias_table", "head.fc.weight"])
