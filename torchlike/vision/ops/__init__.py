"""torchvision.ops: the box operations (see boxes.py)."""
from . import boxes  # noqa: F401
from .boxes import (batched_nms, box_area, box_convert, box_iou,  # noqa: F401
                    clip_boxes_to_image, generalized_box_iou, nms, remove_small_boxes)
