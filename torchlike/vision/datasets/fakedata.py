"""FakeData: random images with random labels, reproducible per index.

Like torchvision, image ``i`` depends only on ``i + random_offset`` (and the global RNG is left
untouched); the generator is numpy's PCG64 seeded with that number, so the pixel values differ
from torchvision's (which come from torch's own generator) while the statistics agree:
standard-normal values converted to uint8 as ``ToPILImage`` does (``x.mul(255).byte()``).
"""
from __future__ import annotations

import numpy as np

from .mnist import _to_image
from .vision import VisionDataset


class FakeData(VisionDataset):
    def __init__(self, size=1000, image_size=(3, 224, 224), num_classes=10, transform=None,
                 target_transform=None, random_offset=0):
        super().__init__(None, transform=transform, target_transform=target_transform)
        self.size = size
        self.num_classes = num_classes
        self.image_size = image_size
        self.random_offset = random_offset

    def _sample(self, index):
        rng = np.random.default_rng(index + self.random_offset)
        img = rng.standard_normal(tuple(self.image_size), dtype=np.float32)
        target = int(rng.integers(0, self.num_classes))
        from ..transforms.functional import _float_to_byte
        chw = _float_to_byte(img)
        hwc = np.moveaxis(chw, 0, -1) if chw.ndim == 3 else chw
        if hwc.ndim == 3 and hwc.shape[-1] == 1:
            hwc = hwc[..., 0]
        return np.ascontiguousarray(hwc), target

    def __getitem__(self, index):
        if index >= len(self):
            raise IndexError(f"{self.__class__.__name__} index out of range")
        img, target = self._sample(int(index))
        img = _to_image(img)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    _plain_getitem = __getitem__

    def _batch_images(self, idx):
        n = len(self)
        return np.stack([self._sample(int(i) % n)[0] for i in idx])

    def _batch_targets(self, idx):
        n = len(self)
        return np.asarray([self._sample(int(i) % n)[1] for i in idx], dtype=np.int64)

    def __len__(self):
        return self.size
