"""torchvision.models' registry and weights enums (Weights, WeightsEnum, get_model, list_models).

Pretrained weights load from ``$TORCH_HOME/hub/checkpoints/<file name of the URL>`` (the same
cache as torchvision: ``TORCH_HOME`` defaults to ``~/.cache/torch``) and are downloaded there
first when absent; without a network the error names the URL and that path.
"""
from __future__ import annotations

import fnmatch
import functools
import os
import urllib.parse
import warnings
from dataclasses import dataclass
from enum import Enum
from typing import Callable

from ... import hub

__all__ = ["WeightsEnum", "Weights", "get_model", "get_model_builder", "get_model_weights",
           "get_weight", "list_models"]


def load_state_dict_from_url(url, model_dir=None, map_location=None, progress=True,
                             check_hash=False, file_name=None, weights_only=True):
    """`torchlike.hub.load_state_dict_from_url`, with a message saying what to do offline."""
    try:
        return hub.load_state_dict_from_url(url, model_dir, map_location, progress, check_hash,
                                            file_name, weights_only)
    except OSError as e:   # URLError, timeouts, refused connections
        dst = os.path.join(model_dir or os.path.join(hub.get_dir(), "checkpoints"),
                           file_name or os.path.basename(urllib.parse.urlparse(url).path))
        raise RuntimeError(
            f"Could not download {url} ({e}). Without a network, download that file elsewhere "
            f"and place it at {dst} ($TORCH_HOME/hub/checkpoints/, TORCH_HOME defaults to "
            "~/.cache/torch); it then loads from there without a network. Or build the model "
            "with weights=None and call model.load_state_dict(torchlike.load(path)).") from None


@dataclass
class Weights:
    """A pretrained checkpoint: its url, a constructor of its preprocessing, and metadata."""
    url: str
    transforms: Callable
    meta: dict

    def __eq__(self, other):
        if not isinstance(other, Weights):
            return NotImplemented
        if self.url != other.url or self.meta != other.meta:
            return False
        t, o = self.transforms, other.transforms
        if isinstance(t, functools.partial) and isinstance(o, functools.partial):
            return (t.func, t.args, t.keywords) == (o.func, o.args, o.keywords)
        return t == o


class WeightsEnum(Enum):
    """Base of the ``<Model>_Weights`` enums; members' values are :class:`Weights`."""

    @classmethod
    def verify(cls, obj):
        if obj is not None:
            if type(obj) is str:
                obj = cls[obj.replace(cls.__name__ + ".", "")]
            elif not isinstance(obj, cls):
                raise TypeError(f"Invalid Weight class provided; expected {cls.__name__} but "
                                f"received {obj.__class__.__name__}.")
        return obj

    def get_state_dict(self, *args, **kwargs):
        return load_state_dict_from_url(self.url, *args, **kwargs)

    def __repr__(self):
        return f"{self.__class__.__name__}.{self._name_}"

    @property
    def url(self):
        return self.value.url

    @property
    def transforms(self):
        return self.value.transforms

    @property
    def meta(self):
        return self.value.meta


BUILTIN_MODELS: dict = {}
_WEIGHTS_OF: dict = {}   # builder name -> its WeightsEnum class


def register_model(name=None, weights_enum=None):
    """Registers a builder under ``name`` (default: its own name), with its weights enum."""
    def wrapper(fn):
        key = name if name is not None else fn.__name__
        if key in BUILTIN_MODELS:
            raise ValueError(f"An entry is already registered under the name '{key}'.")
        BUILTIN_MODELS[key] = fn
        _WEIGHTS_OF[fn] = weights_enum
        return fn
    return wrapper


def list_models(module=None, include=None, exclude=None):
    all_models = {k for k, v in BUILTIN_MODELS.items()
                  if module is None or v.__module__.rsplit(".", 1)[0] == module.__name__}
    models = all_models
    if include:
        models = set()
        for f in [include] if isinstance(include, str) else include:
            models |= set(fnmatch.filter(all_models, f))
    if exclude:
        for f in [exclude] if isinstance(exclude, str) else exclude:
            models -= set(fnmatch.filter(all_models, f))
    return sorted(models)


def get_model_builder(name):
    name = name.lower()
    try:
        return BUILTIN_MODELS[name]
    except KeyError:
        raise ValueError(f"Unknown model {name}") from None


def get_model(name, **config):
    return get_model_builder(name)(**config)


def get_model_weights(name):
    fn = get_model_builder(name) if isinstance(name, str) else name
    if _WEIGHTS_OF.get(fn) is None:
        raise ValueError("The WeightsEnum class for the specific method couldn't be retrieved.")
    return _WEIGHTS_OF[fn]


def get_weight(name):
    try:
        enum_name, value_name = name.split(".")
    except ValueError:
        raise ValueError(f"Invalid weight name provided: '{name}'.") from None
    for enum in _WEIGHTS_OF.values():
        if enum is not None and enum.__name__ == enum_name:
            return enum[value_name]
    raise ValueError(f"The weight enum '{enum_name}' for the specific method couldn't be "
                     "retrieved.")


def _ovewrite_named_param(kwargs, param, new_value):
    if param in kwargs:
        if kwargs[param] != new_value:
            raise ValueError(f"The parameter '{param}' expected value {new_value} but got "
                             f"{kwargs[param]} instead.")
    else:
        kwargs[param] = new_value


def _builder(weights_enum):
    """Registers a builder ``fn(weights, progress, **kwargs)`` with torchvision's interface:
    ``weights`` verified against ``weights_enum`` (a member, its name, or None) and the
    deprecated ``pretrained=True`` mapped to ``IMAGENET1K_V1``."""
    def wrap(fn):
        def builder(*, weights=None, progress=True, **kwargs):
            if "pretrained" in kwargs:
                pretrained = kwargs.pop("pretrained")
                warnings.warn("The parameter 'pretrained' is deprecated since 0.13 and may be "
                              "removed in the future, please use 'weights' instead.")
                if pretrained and weights is None:
                    weights = weights_enum.IMAGENET1K_V1
            return fn(weights_enum.verify(weights), progress, **kwargs)
        for a in ("__module__", "__name__", "__qualname__", "__doc__"):
            setattr(builder, a, getattr(fn, a))
        return register_model(weights_enum=weights_enum)(builder)
    return wrap


def _build(make, weights, progress, kwargs, fix_state_dict=None):
    """``make(**kwargs)``, with ``weights`` loaded (num_classes taken from their categories).
    The checkpoint is read before the model is built, so a missing file fails at once."""
    if weights is None:
        return make(**kwargs)
    if weights.meta["categories"] is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    state_dict = weights.get_state_dict(progress=progress, check_hash=True)
    model = make(**kwargs)
    model.load_state_dict(fix_state_dict(state_dict) if fix_state_dict else state_dict)
    return model


class ImageClassification:
    """torchvision's classification preset (``weights.transforms()``): resize, center crop,
    scale to [0, 1] and normalize; works on PIL images and (B,)C,H,W tensors."""

    def __init__(self, *, crop_size, resize_size=256, mean=(0.485, 0.456, 0.406),
                 std=(0.229, 0.224, 0.225), interpolation=None, antialias=True):
        from ..transforms import InterpolationMode
        self.crop_size = [crop_size]
        self.resize_size = [resize_size]
        self.mean = list(mean)
        self.std = list(std)
        self.interpolation = interpolation or InterpolationMode.BILINEAR
        self.antialias = antialias

    def __call__(self, img):
        from ..._tensor import Tensor
        from ..transforms import functional as F
        img = F.resize(img, self.resize_size, interpolation=self.interpolation,
                       antialias=self.antialias)
        img = F.center_crop(img, self.crop_size)
        if not isinstance(img, Tensor):
            img = F.pil_to_tensor(img)
        if not img.is_floating_point():
            img = img.float() / 255.0
        return F.normalize(img, mean=self.mean, std=self.std)

    forward = __call__

    def __repr__(self):
        return (f"{self.__class__.__name__}(\n    crop_size={self.crop_size}\n"
                f"    resize_size={self.resize_size}\n    mean={self.mean}\n    std={self.std}\n"
                f"    interpolation={self.interpolation}\n)")


def _imagenet_weights(url, num_params, min_size, acc1, acc5, ops, file_size, recipe,
                      **transform_args):
    """A Weights entry for an ImageNet-1K classifier (categories from ``_meta``)."""
    from ._meta import _IMAGENET_CATEGORIES
    return Weights(
        url=url, transforms=functools.partial(ImageClassification, crop_size=224,
                                              **transform_args),
        meta={"min_size": min_size, "categories": _IMAGENET_CATEGORIES, "num_params": num_params,
              "recipe": recipe,
              "_metrics": {"ImageNet-1K": {"acc@1": acc1, "acc@5": acc5}},
              "_ops": ops, "_file_size": file_size})
