"""torchvision.ops.boxes: box areas, IoUs, format conversion and NMS on (N, 4) tensors.

The arithmetic is torchvision's (its ``_box_inter_union`` and ``_upcast``), written with
torchlike ops, so gradients flow; ``nms`` is greedy like torchvision's CPU kernel and runs on
concrete values (its output size depends on them).
"""
from __future__ import annotations

__all__ = ["box_area", "box_iou", "generalized_box_iou", "box_convert", "nms",
           "batched_nms", "clip_boxes_to_image", "remove_small_boxes"]


def _upcast(t):
    import torchlike as tl
    if t.is_floating_point():
        return t if t.dtype in (tl.float32, tl.float64) else t.float()
    return t if t.dtype in (tl.int32, tl.int64) else t.int()


def box_area(boxes):
    """Areas of boxes given as (x1, y1, x2, y2)."""
    boxes = _upcast(boxes)
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def _box_inter_union(boxes1, boxes2):
    import torchlike as tl
    area1, area2 = box_area(boxes1), box_area(boxes2)
    lt = tl.max(boxes1[:, None, :2], boxes2[:, :2])
    rb = tl.min(boxes1[:, None, 2:], boxes2[:, 2:])
    wh = _upcast(rb - lt).clamp(min=0)
    inter = wh[:, :, 0] * wh[:, :, 1]
    return inter, area1[:, None] + area2 - inter


def box_iou(boxes1, boxes2):
    """(N, M) intersection over union of two sets of (x1, y1, x2, y2) boxes."""
    inter, union = _box_inter_union(boxes1, boxes2)
    return inter / union


def generalized_box_iou(boxes1, boxes2):
    import torchlike as tl
    inter, union = _box_inter_union(boxes1, boxes2)
    iou = inter / union
    lti = tl.min(boxes1[:, None, :2], boxes2[:, :2])
    rbi = tl.max(boxes1[:, None, 2:], boxes2[:, 2:])
    whi = _upcast(rbi - lti).clamp(min=0)
    areai = whi[:, :, 0] * whi[:, :, 1]
    return iou - (areai - union) / areai


def box_convert(boxes, in_fmt, out_fmt):
    import torchlike as tl
    allowed = ("xyxy", "xywh", "cxcywh")
    if in_fmt not in allowed or out_fmt not in allowed:
        raise ValueError("Unsupported Bounding Box Conversions for given in_fmt and out_fmt")
    if in_fmt == out_fmt:
        return boxes.clone()
    a, b, c, d = boxes.unbind(-1)
    if in_fmt == "xywh":
        a, b, c, d = a, b, a + c, b + d
    elif in_fmt == "cxcywh":
        a, b, c, d = a - 0.5 * c, b - 0.5 * d, a + 0.5 * c, b + 0.5 * d
    if out_fmt == "xywh":
        return tl.stack((a, b, c - a, d - b), dim=-1)
    if out_fmt == "cxcywh":
        return tl.stack(((a + c) / 2, (b + d) / 2, c - a, d - b), dim=-1)
    return tl.stack((a, b, c, d), dim=-1)


def nms(boxes, scores, iou_threshold):
    """Indices (int64, by decreasing score) of the boxes kept by greedy non-maximum
    suppression: a box is dropped when its IoU with a kept box exceeds ``iou_threshold``."""
    import numpy as np
    import torchlike as tl
    b = np.asarray(boxes.detach().float().numpy(), dtype=np.float64)
    s = np.asarray(scores.detach().float().numpy())
    order = np.argsort(-s, kind="stable")
    area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    suppressed = np.zeros(len(b), bool)
    keep = []
    for i in order:
        if suppressed[i]:
            continue
        keep.append(i)
        xx1 = np.maximum(b[i, 0], b[:, 0])
        yy1 = np.maximum(b[i, 1], b[:, 1])
        xx2 = np.minimum(b[i, 2], b[:, 2])
        yy2 = np.minimum(b[i, 3], b[:, 3])
        inter = np.clip(xx2 - xx1, 0, None) * np.clip(yy2 - yy1, 0, None)
        iou = inter / (area[i] + area - inter)
        suppressed |= iou > iou_threshold
    return tl.tensor(np.asarray(keep, np.int64), dtype=tl.int64)


def batched_nms(boxes, scores, idxs, iou_threshold):
    """NMS per category ``idxs``: boxes of different categories never suppress each other."""
    import torchlike as tl
    if boxes.numel() == 0:
        return tl.empty((0,), dtype=tl.int64)
    offsets = idxs.to(boxes.dtype) * (boxes.max() + 1)
    return nms(boxes + offsets[:, None], scores, iou_threshold)


def clip_boxes_to_image(boxes, size):
    import torchlike as tl
    h, w = size
    x = boxes[..., 0::2].clamp(min=0, max=w)
    y = boxes[..., 1::2].clamp(min=0, max=h)
    return tl.stack((x, y), dim=-1).reshape(boxes.shape)


def remove_small_boxes(boxes, min_size):
    import torchlike as tl
    ws, hs = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    keep = (ws >= min_size) & (hs >= min_size)
    return tl.where(keep)[0]
