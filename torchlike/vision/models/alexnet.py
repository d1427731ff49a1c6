"""torchvision.models.alexnet: AlexNet and alexnet (torchvision's module names)."""
from __future__ import annotations

from ... import nn
from ..._functions import flatten
from ._api import WeightsEnum, _build, _builder, _imagenet_weights

__all__ = ["AlexNet", "AlexNet_Weights", "alexnet"]


class AlexNet(nn.Module):
    def __init__(self, num_classes=1000, dropout=0.5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2))
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
            nn.Dropout(p=dropout), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes))

    def forward(self, x):
        return self.classifier(flatten(self.avgpool(self.features(x)), 1))


class AlexNet_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet_weights(
        "https://download.pytorch.org/models/alexnet-owt-7be5be79.pth", 61100840, (63, 63),
        56.522, 79.066, 0.714, 233.087,
        "https://github.com/pytorch/vision/tree/main/references/classification#alexnet-and-vgg")
    DEFAULT = IMAGENET1K_V1


@_builder(AlexNet_Weights)
def alexnet(weights, progress, **kwargs):
    """AlexNet from `One weird trick for parallelizing convolutional neural networks` (the
    variant torchvision ships); kwargs go to AlexNet."""
    return _build(AlexNet, weights, progress, kwargs)
