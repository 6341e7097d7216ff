"""Parity references for models/resnet.cpp: torchvision 0.14's ResNets and ResNeXt (whose
state_dict names are timm's), and timm's SE-ResNeXt, which torchvision lacks. The models run
in float64 (common.model_case) so that fovea's f32 result is judged against the exact one."""
import timm
import torch
import torchvision

from common import model_case, randomize_norms

NUM_CLASSES = 10

# Inputs stay small to keep CI fast, and 64x64 where it matters: layer4 then runs at 2x2, so
# its 3x3 convs see padding. The deepest models only repeat resnet50's bottleneck more
# times, and run at 32x32 (layer4 at 1x1) to spare CI the time.
TORCHVISION = [
    ("resnet18", 64, "layer3.0.conv1.weight"),
    ("resnet34", 64, "layer3.5.conv2.weight"),
    ("resnet50", 64, "layer3.0.downsample.0.weight"),
    ("resnet101", 32, "layer3.22.conv2.weight"),
    ("resnet152", 32, "layer2.7.conv3.weight"),
    ("resnext50_32x4d", 64, "layer2.1.conv2.weight"),
]


def build_files():
    for name, size, middle in TORCHVISION:
        torch.manual_seed(0)
        model = getattr(torchvision.models, name)(weights=None, num_classes=NUM_CLASSES)
        randomize_norms(model)
        yield name, model_case(model, torch.randn(2, 3, size, size),
                               ["conv1.weight", middle, "fc.weight", "fc.bias"])

    torch.manual_seed(0)
    model = timm.create_model("seresnext50_32x4d", num_classes=NUM_CLASSES)
    randomize_norms(model)
    yield "seresnext50_32x4d", model_case(
        model, torch.randn(2, 3, 64, 64),
        ["conv1.weight", "layer2.0.se.fc1.weight", "layer3.2.se.fc2.bias",
         "layer3.2.conv2.weight", "fc.weight"])
