"""VisionDataset base class (reprs as torchvision's) and the shared batch path."""
from __future__ import annotations

import os

import numpy as np

from ...utils.data import Dataset


class StandardTransform:
    def __init__(self, transform=None, target_transform=None):
        self.transform = transform
        self.target_transform = target_transform

    def __call__(self, input, target):
        if self.transform is not None:
            input = self.transform(input)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return input, target

    def _format_transform_repr(self, transform, head):
        lines = transform.__repr__().splitlines()
        return [f"{head}{lines[0]}"] + ["{}{}".format(" " * len(head), line)
                                        for line in lines[1:]]

    def __repr__(self):
        body = [self.__class__.__name__]
        if self.transform is not None:
            body += self._format_transform_repr(self.transform, "Transform: ")
        if self.target_transform is not None:
            body += self._format_transform_repr(self.target_transform, "Target transform: ")
        return "\n".join(body)


class VisionDataset(Dataset):
    _repr_indent = 4

    def __init__(self, root=None, transforms=None, transform=None, target_transform=None):
        if isinstance(root, str):
            root = os.path.expanduser(root)
        self.root = root
        has_transforms = transforms is not None
        has_separate = transform is not None or target_transform is not None
        if has_transforms and has_separate:
            raise ValueError("Only transforms or transform/target_transform can be passed as "
                             "argument")
        self.transform = transform
        self.target_transform = target_transform
        if has_separate:
            transforms = StandardTransform(transform, target_transform)
        self.transforms = transforms

    def __getitem__(self, index):
        raise NotImplementedError

    def __len__(self):
        raise NotImplementedError

    def __repr__(self):
        head = "Dataset " + self.__class__.__name__
        body = [f"Number of datapoints: {self.__len__()}"]
        if self.root is not None:
            body.append(f"Root location: {self.root}")
        body += self.extra_repr().splitlines()
        if hasattr(self, "transforms") and self.transforms is not None:
            body += [repr(self.transforms)]
        lines = [head] + [" " * self._repr_indent + line for line in body]
        return "\n".join(lines)

    def extra_repr(self):
        return ""

    # ------------------------------------------------------------- vectorised batches
    def _batch_images(self, idx):
        """uint8 images at idx as one (N, H, W[, C]) numpy array, or None."""
        return None

    def _batch_targets(self, idx):
        return None

    def _tl_batch(self, indices):
        """The collated batch [images, targets] in one vectorised step when the transforms
        allow it (ToTensor / Normalize / Compose of them, no target_transform)."""
        from ...utils.data.dataset import _index_array
        from ...utils.data._collate import _array_tensor
        if self.target_transform is not None or type(self).__getitem__ is not \
                type(self)._plain_getitem:
            return NotImplemented
        fn = getattr(self.transform, "_batch", None)
        if self.transform is not None and fn is None:
            return NotImplemented
        idx = _index_array(indices)
        n = len(self)
        if idx.size and (idx.max() >= n or idx.min() < -n):
            raise IndexError(f"index {int(idx.max()) if idx.max() >= n else int(idx.min())} is "
                             f"out of bounds for dimension 0 with size {n}")
        imgs = self._batch_images(idx)
        targets = self._batch_targets(idx)
        if imgs is None or targets is None:
            return NotImplemented
        if fn is not None:
            out = fn(imgs)
            if out is None:
                return NotImplemented
            imgs = out
        else:
            return NotImplemented  # no transform: samples are PIL images, not collatable
        return [_array_tensor(imgs), _array_tensor(np.asarray(targets, dtype=np.int64))]

    _plain_getitem = None
