"""CIFAR-10 / CIFAR-100 from torchvision's layout (``root/cifar-10-batches-py/...``).

The batches are Python pickles; they are read with a restricted unpickler that only admits
the numpy reconstruction functions those files use, never arbitrary classes.
"""
from __future__ import annotations

import os
import pickle
import tarfile

import numpy as np

from . import utils as U
from .mnist import _to_image
from .vision import VisionDataset


class _NumpyOnlyUnpickler(pickle.Unpickler):
    _ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray",
                                                             "_reconstruct"),
                ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "scalar"),
                ("numpy._core.multiarray", "scalar"), ("_codecs", "encode")}

    def find_class(self, module, name):
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"CIFAR batch files hold only arrays and lists; refusing "
                                     f"the global {module}.{name}")


def _load_pickle(path):
    try:
        with open(path, "rb") as f:
            return _NumpyOnlyUnpickler(f, encoding="latin1").load()
    except (EOFError, pickle.UnpicklingError, ValueError) as e:
        raise RuntimeError(f"{path} is truncated or corrupted: {e}") from None


class CIFAR10(VisionDataset):
    base_folder = "cifar-10-batches-py"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    filename = "cifar-10-python.tar.gz"
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"
    train_list = [
        ["data_batch_1", "c99cafc152244af753f735de768cd75f"],
        ["data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"],
        ["data_batch_3", "54ebc095f3ab1f0389bbae665268c751"],
        ["data_batch_4", "634d18415352ddfa80567beed471001a"],
        ["data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"],
    ]
    test_list = [["test_batch", "40351d587109b95175f43aff81a1287e"]]
    meta = {"filename": "batches.meta", "key": "label_names",
            "md5": "5ff9c542aee3614f3951f8cda6e48888"}

    def __init__(self, root, train=True, transform=None, target_transform=None,
                 download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        bad = self._bad_files()
        if bad:
            folder = os.path.join(self.root, self.base_folder)
            raise RuntimeError(
                "Dataset not found or corrupted. You can use download=True to download it "
                f"(missing or failing their MD5 check: {', '.join(bad)} in {folder}; the archive "
                f"is {self.url})")
        files = self.train_list if self.train else self.test_list
        self.data, self.targets = [], []
        for file_name, _ in files:
            entry = _load_pickle(os.path.join(self.root, self.base_folder, file_name))
            self.data.append(entry["data"])
            self.targets.extend(entry["labels"] if "labels" in entry else entry["fine_labels"])
        self.data = np.vstack(self.data).reshape(-1, 3, 32, 32)
        self.data = np.ascontiguousarray(self.data.transpose((0, 2, 3, 1)))  # HWC
        self._load_meta()

    def _load_meta(self):
        data = _load_pickle(os.path.join(self.root, self.base_folder, self.meta["filename"]))
        self.classes = data[self.meta["key"]]
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    def _bad_files(self):
        out = []
        for name, md5 in self.train_list + self.test_list + [[self.meta["filename"],
                                                              self.meta["md5"]]]:
            if not U.check_integrity(os.path.join(self.root, self.base_folder, name), md5):
                out.append(name)
        return out

    def _check_integrity(self):
        return not self._bad_files()

    def __getitem__(self, index):
        img, target = self.data[index], self.targets[index]
        img = _to_image(img)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    _plain_getitem = __getitem__

    def _batch_images(self, idx):
        return self.data[idx]

    def _batch_targets(self, idx):
        return np.asarray(self.targets, dtype=np.int64)[idx]

    def __len__(self):
        return len(self.data)

    def download(self):
        if self._check_integrity():
            return
        reason = U.download_from_mirrors([self.url[: -len(self.filename)]], self.filename,
                                         self.root, self.tgz_md5)
        if reason is not None:
            raise RuntimeError(
                f"Dataset not found: {self.__class__.__name__} needs "
                f"{', '.join(self._bad_files())} in {os.path.join(self.root, self.base_folder)}, "
                f"and downloading {self.url} failed ({reason}). Download the archive elsewhere "
                f"and extract it into {self.root}")
        with tarfile.open(os.path.join(self.root, self.filename), "r:gz") as tar:
            tar.extractall(path=self.root, filter="data")

    def extra_repr(self):
        split = "Train" if self.train is True else "Test"
        return f"Split: {split}"


class CIFAR100(CIFAR10):
    base_folder = "cifar-100-python"
    url = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    filename = "cifar-100-python.tar.gz"
    tgz_md5 = "eb9058c3a382ffc7106e4002c42a8d85"
    train_list = [["train", "16019d7e3df5f24257cddd939b257f8d"]]
    test_list = [["test", "f0ef6b0ae62326f3e7ffdfab6717acfc"]]
    meta = {"filename": "meta", "key": "fine_label_names",
            "md5": "7973b15100ade9c7d40fb424638fde48"}
