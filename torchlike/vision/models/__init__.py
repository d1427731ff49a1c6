"""torchlike.vision.models: torchvision's classification models with its module names, so a
torchvision ``state_dict`` loads with ``strict=True``; pretrained weights load from the
``$TORCH_HOME/hub/checkpoints`` cache (see ``_api``)."""
from ._api import (Weights, WeightsEnum, get_model, get_model_builder,  # noqa: F401
                   get_model_weights, get_weight, list_models)
from .alexnet import *  # noqa: F401,F403
from .densenet import *  # noqa: F401,F403
from .mobilenetv2 import *  # noqa: F401,F403
from .resnet import *  # noqa: F401,F403
from .squeezenet import *  # noqa: F401,F403
from .vgg import *  # noqa: F401,F403
