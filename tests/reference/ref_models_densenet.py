"""Parity references for models/densenet.cpp: torchvision 0.14's DenseNets (whose
state_dict names are timm's), and CheXNet, a torchvision densenet121 with 14 outputs saved
under the names of the published CheXNet checkpoint (arnoweng/CheXNet: nn.DataParallel
around a `densenet121` attribute, the classifier as nn.Sequential(Linear, Sigmoid), and the
pre-0.4 "norm.1" dense-layer names), so that fovea's chexnet key map is exercised. The
models run in float64 (common.model_case) so that fovea's f32 result is judged against the
exact one."""
import re

import torch
import torchvision

from common import model_case, randomize_norms

# 32x32 is the smallest input that keeps every transition: the last dense block runs at
# 1x1. densenet121 also runs at 64x64 so that its 3x3 convs see padding in every block.
MODELS = [
    ("densenet121", 64, "features.denseblock3.denselayer7.conv1.weight"),
    ("densenet169", 32, "features.denseblock4.denselayer32.conv2.weight"),
    ("densenet201", 32, "features.denseblock3.denselayer48.norm2.weight"),
]
GRADS = ["features.conv0.weight", "features.transition2.conv.weight",
         "features.norm5.weight", "classifier.weight"]


def chexnet_checkpoint_name(key: str) -> str:
    key = re.sub(r"(denselayer\d+\.(?:norm|conv))([12])\.", r"\1.\2.", key)
    key = key.replace("classifier.", "classifier.0.")
    return "module.densenet121." + key


def build_files():
    for name, size, middle in MODELS:
        torch.manual_seed(0)
        model = getattr(torchvision.models, name)(weights=None, num_classes=10)
        randomize_norms(model)
        yield name, model_case(model, torch.randn(2, 3, size, size), GRADS + [middle])

    torch.manual_seed(0)
    model = torchvision.models.densenet121(weights=None, num_classes=14)
    randomize_norms(model)
    case = model_case(model, torch.randn(2, 3, 32, 32),
                      GRADS + ["features.denseblock2.denselayer3.conv2.weight"])
    renamed = {}
    for key, value in case.items():
        role, _, param = key.partition(".")
        renamed[f"{role}.{chexnet_checkpoint_name(param)}" if param else key] = value
    yield "chexnet", renamed
