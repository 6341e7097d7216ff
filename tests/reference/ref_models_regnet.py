"""Parity references for RegNetY: timm's regnety_008/080 (the paper's widths) and their
_tv width variants, which are torchvision's regnet_y_800mf/8gf. The 800MF models take two
64x64 images, the smallest size that keeps a 2x2 map (padding and pooling over more than
one position) in the last stage; the 8GF models, which add only other widths and group
sizes to that, take one 32x32 image to keep the references cheap.

fovea and PyTorch round differently in f32 (about 1e-7 relative), so a value that enters
a ReLU within that distance of zero may pass in one and be cut in the other. With only a
few positions per channel in the late stages, one such unit moves the gradients below it
by up to 1e-2, far beyond the tolerance. Among a few random inputs we therefore keep the
one whose smallest |ReLU input| is largest."""
import timm
import torch
import torchvision

from common import model_case, randomize_norms

NUM_CLASSES = 10
CANDIDATE_INPUTS = 8
MIN_RELU_MARGIN = 3e-7


def relu_margins(model, x):
    """The smallest magnitude that enters any ReLU of `model`, for each image of x."""
    smallest = []
    hooks = [m.register_forward_pre_hook(
                 lambda _, inputs: smallest.append(inputs[0].abs().flatten(1).amin(1)))
             for m in model.modules() if isinstance(m, torch.nn.ReLU)]
    with torch.no_grad():
        model(x)
    for hook in hooks:
        hook.remove()
    return torch.stack(smallest).amin(0)


def steady_input(model, batch, size):
    model.eval()
    candidates = torch.randn(CANDIDATE_INPUTS, batch, 3, size, size)
    # One forward ranks every candidate (eval-mode BatchNorm treats images independently).
    # PyTorch's f32 rounding depends a little on the batch size, so the chosen input is
    # checked again at the size model_case runs it.
    margins = relu_margins(model, candidates.flatten(0, 1)).view(CANDIDATE_INPUTS, batch)
    for index in margins.amin(1).argsort(descending=True):
        if relu_margins(model, candidates[index]).min().item() >= MIN_RELU_MARGIN:
            return candidates[index]
    raise AssertionError(f"no input keeps its ReLU inputs {MIN_RELU_MARGIN} from zero")


def case(model, batch, size, grad_params):
    randomize_norms(model)
    return model_case(model, steady_input(model, batch, size), grad_params)


def timm_case(name, batch, size):
    torch.manual_seed(0)
    return case(timm.create_model(name, num_classes=NUM_CLASSES), batch, size, TIMM_GRADS)


def torchvision_case(name, batch, size):
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)(weights=None, num_classes=NUM_CLASSES)
    return case(model, batch, size, TORCHVISION_GRADS)


# The first conv, a grouped conv and an SE layer in the middle, a shortcut, the classifier.
TIMM_GRADS = ["stem.conv.weight", "s3.b2.conv2.conv.weight", "s3.b2.se.fc1.weight",
              "s2.b1.downsample.conv.weight", "head.fc.weight"]
TORCHVISION_GRADS = ["stem.0.weight", "trunk_output.block3.block3-1.f.b.0.weight",
                     "trunk_output.block3.block3-1.f.se.fc1.weight",
                     "trunk_output.block2.block2-0.proj.0.weight", "fc.weight"]


def build_files():
    yield "regnety_008", timm_case("regnety_008", batch=2, size=64)
    yield "regnety_008_tv", timm_case("regnety_008_tv", batch=2, size=64)
    yield "regnet_y_800mf", torchvision_case("regnet_y_800mf", batch=2, size=64)
    yield "regnety_080", timm_case("regnety_080", batch=1, size=32)
    yield "regnet_y_8gf", torchvision_case("regnet_y_8gf", batch=1, size=32)
