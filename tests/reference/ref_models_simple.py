"""Parity references for the small baselines: a PyTorch twin of fovea's simple_cnn
(same state_dict names) and logistic regression."""
import torch
import torch.nn.functional as F

from common import model_case, randomize_norms


class ConvStage(torch.nn.Module):
    def __init__(self, cin, cout, pool):
        super().__init__()
        self.conv = torch.nn.Conv2d(cin, cout, 3, padding=1, bias=False)
        self.bn = torch.nn.BatchNorm2d(cout)
        self.pool = pool

    def forward(self, x):
        x = F.relu(self.bn(self.conv(x)))
        return F.max_pool2d(x, 2, 2, ceil_mode=True) if self.pool else x


class SimpleCnn(torch.nn.Module):
    def __init__(self, in_chans, num_classes):
        super().__init__()
        widths = [32, 64, 128, 256, 256]
        stages, cin = [], in_chans
        for i, w in enumerate(widths):
            stages.append(ConvStage(cin, w, i < 4))
            cin = w
        self.stages = torch.nn.Sequential(*stages)
        self.fc = torch.nn.Linear(cin, num_classes)

    def forward(self, x):
        return self.fc(self.stages(x).mean(dim=(2, 3)))


class LogReg(torch.nn.Module):
    def __init__(self, features, num_classes):
        super().__init__()
        self.fc = torch.nn.Linear(features, num_classes)

    def forward(self, x):  # NCHW in; fovea flattens NHWC, so flatten in that order
        return self.fc(x.permute(0, 2, 3, 1).flatten(1))


def build_files():
    torch.manual_seed(0)
    cnn = SimpleCnn(1, 10)
    randomize_norms(cnn)
    yield "simple_cnn", model_case(cnn, torch.randn(2, 1, 28, 28),
                                   ["stages.0.conv.weight", "stages.4.bn.weight", "fc.bias"])
    logreg = LogReg(28 * 28, 10)
    yield "logreg", model_case(logreg, torch.randn(3, 1, 28, 28), ["fc.weight"])
