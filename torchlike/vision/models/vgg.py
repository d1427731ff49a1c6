"""torchvision.models.vgg: VGG, vgg11/vgg11_bn/vgg16/vgg16_bn (torchvision's module names)."""
from __future__ import annotations

from ... import nn
from ..._functions import flatten
from ._api import WeightsEnum, _build, _builder, _imagenet_weights

__all__ = ["VGG", "VGG11_Weights", "VGG11_BN_Weights", "VGG13_Weights", "VGG13_BN_Weights",
           "VGG16_Weights", "VGG16_BN_Weights", "VGG19_Weights", "VGG19_BN_Weights",
           "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn"]


class VGG(nn.Module):
    def __init__(self, features, num_classes=1000, init_weights=True, dropout=0.5):
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes))
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.constant_(m.bias, 0)

    def forward(self, x):
        return self.classifier(flatten(self.avgpool(self.features(x)), 1))


def make_layers(cfg, batch_norm=False):
    layers = []
    in_channels = 3
    for v in cfg:
        if v == "M":
            layers += [nn.MaxPool2d(kernel_size=2, stride=2)]
        else:
            conv2d = nn.Conv2d(in_channels, v, kernel_size=3, padding=1)
            layers += [conv2d, nn.BatchNorm2d(v), nn.ReLU(inplace=True)] if batch_norm else \
                [conv2d, nn.ReLU(inplace=True)]
            in_channels = v
    return nn.Sequential(*layers)


cfgs = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512,
          512, 512, "M"],
}


def _vgg(cfg, batch_norm, weights, progress, **kwargs):
    if weights is not None:
        kwargs["init_weights"] = False
    return _build(lambda **kw: VGG(make_layers(cfgs[cfg], batch_norm=batch_norm), **kw),
                  weights, progress, kwargs)


_URL = "https://download.pytorch.org/models/"
_RECIPE = "https://github.com/pytorch/vision/tree/main/references/classification#alexnet-and-vgg"


def _w(file, num_params, acc1, acc5, ops, size, recipe=_RECIPE, **transform_args):
    return _imagenet_weights(_URL + file, num_params, (32, 32), acc1, acc5, ops, size, recipe,
                             **transform_args)


class VGG11_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("vgg11-8a719046.pth", 132863336, 69.02, 88.628, 7.609, 506.84)
    DEFAULT = IMAGENET1K_V1


class VGG11_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("vgg11_bn-6002323d.pth", 132868840, 70.37, 89.81, 7.609, 506.881)
    DEFAULT = IMAGENET1K_V1


_features = _w("vgg16_features-amdegroot-88682ab5.pth", 138357544, float("nan"), float("nan"),
               15.47, 527.802, "https://github.com/amdegroot/ssd.pytorch#training-ssd",
               mean=(0.48235, 0.45882, 0.40784), std=(1.0 / 255.0, 1.0 / 255.0, 1.0 / 255.0))
_features.meta["categories"] = None   # SSD backbone features: no classifier head trained


class VGG13_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("vgg13-19584684.pth", 133047848, 69.928, 89.246, 11.308, 507.59)
    DEFAULT = IMAGENET1K_V1


class VGG13_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("vgg13_bn-abd245e5.pth", 133053736, 71.586, 90.374, 11.308, 507.632)
    DEFAULT = IMAGENET1K_V1


class VGG19_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("vgg19-dcbb9e9d.pth", 143667240, 72.376, 90.876, 19.632, 548.051)
    DEFAULT = IMAGENET1K_V1


class VGG19_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("vgg19_bn-c79401a0.pth", 143678248, 74.218, 91.842, 19.632, 548.143)
    DEFAULT = IMAGENET1K_V1


class VGG16_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("vgg16-397923af.pth", 138357544, 71.592, 90.382, 15.47, 527.796)
    IMAGENET1K_FEATURES = _features
    DEFAULT = IMAGENET1K_V1


class VGG16_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("vgg16_bn-6c64b313.pth", 138365992, 73.36, 91.516, 15.47, 527.866)
    DEFAULT = IMAGENET1K_V1


@_builder(VGG11_Weights)
def vgg11(weights, progress, **kwargs):
    """VGG-11 (configuration "A") from `Very Deep Convolutional Networks for Large-Scale Image
    Recognition`; kwargs go to VGG."""
    return _vgg("A", False, weights, progress, **kwargs)


@_builder(VGG11_BN_Weights)
def vgg11_bn(weights, progress, **kwargs):
    """VGG-11 with batch normalization; kwargs go to VGG."""
    return _vgg("A", True, weights, progress, **kwargs)


@_builder(VGG16_Weights)
def vgg16(weights, progress, **kwargs):
    """VGG-16 (configuration "D"); kwargs go to VGG."""
    return _vgg("D", False, weights, progress, **kwargs)


@_builder(VGG16_BN_Weights)
def vgg16_bn(weights, progress, **kwargs):
    """VGG-16 with batch normalization; kwargs go to VGG."""
    return _vgg("D", True, weights, progress, **kwargs)


@_builder(VGG13_Weights)
def vgg13(weights, progress, **kwargs):
    """VGG-13 (configuration "B"); kwargs go to VGG."""
    return _vgg("B", False, weights, progress, **kwargs)


@_builder(VGG13_BN_Weights)
def vgg13_bn(weights, progress, **kwargs):
    """VGG-13 with batch normalization; kwargs go to VGG."""
    return _vgg("B", True, weights, progress, **kwargs)


@_builder(VGG19_Weights)
def vgg19(weights, progress, **kwargs):
    """VGG-19 (configuration "E"); kwargs go to VGG."""
    return _vgg("E", False, weights, progress, **kwargs)


@_builder(VGG19_BN_Weights)
def vgg19_bn(weights, progress, **kwargs):
    """VGG-19 with batch normalization; kwargs go to VGG."""
    return _vgg("E", True, weights, progress, **kwargs)
