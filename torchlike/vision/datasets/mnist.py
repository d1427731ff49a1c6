"""MNIST-style datasets read from torchvision's layout: ``root/<Class>/raw/*-idx?-ubyte[.gz]``.

Files are read uncompressed when present (as torchvision does after extracting them) or
directly from the ``.gz`` archives, whose MD5 is checked against torchvision's list. Headers
and sizes are validated, so a truncated or corrupted file raises a RuntimeError naming it.
``download=True`` fetches missing archives from the standard mirrors (with the checksum check)
and extracts them; without a network it raises an error naming the files and the folder.
"""
from __future__ import annotations

import gzip
import os
import shutil
import tempfile
import zlib

import numpy as np

from . import utils as U
from .vision import VisionDataset

_CACHE = {}   # (path, size, mtime) -> numpy array: repeated constructions read once


def _aligned_tensor(arr):
    """A tensor over a copy of arr, aliased by jax without a further copy."""
    from ..._creation import from_numpy
    from ..._tensor import _aligned_empty
    a = _aligned_empty(arr.shape, arr.dtype)
    a[...] = arr
    return from_numpy(a)


_SN3_TYPES = {8: np.uint8, 9: np.int8, 11: np.dtype(">i2"), 12: np.dtype(">i4"),
              13: np.dtype(">f4"), 14: np.dtype(">f8")}


def _parse_idx(data, path, expected_ndim):
    if len(data) < 4:
        raise RuntimeError(f"{path} is truncated or not an IDX file ({len(data)} bytes)")
    magic = int.from_bytes(data[0:4], "big")
    nd, ty = magic % 256, magic // 256
    if data[0:2] != b"\x00\x00" or ty not in _SN3_TYPES or nd != expected_ndim:
        raise RuntimeError(f"{path} is corrupted or not an IDX file with {expected_ndim} "
                           f"dimension(s) (magic number 0x{magic:08x})")
    if len(data) < 4 * (nd + 1):
        raise RuntimeError(f"{path} is truncated: its header is incomplete")
    dims = [int.from_bytes(data[4 * (i + 1): 4 * (i + 2)], "big") for i in range(nd)]
    dt = np.dtype(_SN3_TYPES[ty])
    need = 4 * (nd + 1) + int(np.prod(dims)) * dt.itemsize
    if len(data) != need:
        raise RuntimeError(f"{path} is truncated or corrupted: its header announces shape "
                           f"{tuple(dims)} ({need} bytes) but the file holds {len(data)} bytes")
    arr = np.frombuffer(data, dtype=dt, offset=4 * (nd + 1)).reshape(dims)
    return arr.astype(dt.newbyteorder("="), copy=False)


def read_idx_file(path, expected_ndim, md5=None):
    """The array in an IDX file (``.gz`` or not); raises RuntimeError for damaged files."""
    st = os.stat(path)
    key = (os.path.abspath(path), st.st_size, st.st_mtime_ns)
    if key in _CACHE:
        return _CACHE[key]
    if path.endswith(".gz"):
        if md5 is not None and not U.check_md5(path, md5):
            raise RuntimeError(f"{path} is corrupted: its MD5 checksum {U.calculate_md5(path)} "
                               f"does not match the expected {md5}. Delete it and download it "
                               "again (download=True).")
        try:
            with gzip.open(path, "rb") as f:
                data = f.read()
        except (EOFError, OSError, zlib.error) as e:
            raise RuntimeError(f"{path} is truncated or corrupted: {e}") from None
    else:
        with open(path, "rb") as f:
            data = f.read()
    arr = _parse_idx(data, path, expected_ndim)
    if len(_CACHE) > 16:
        _CACHE.clear()
    _CACHE[key] = arr
    return arr


class MNIST(VisionDataset):
    """`MNIST <http://yann.lecun.com/exdb/mnist/>`_: ``root/MNIST/raw/``."""

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/",
               "http://yann.lecun.com/exdb/mnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    training_file = "training.pt"
    test_file = "test.pt"
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root, train=True, transform=None, target_transform=None,
                 download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        missing = self._missing()
        if missing:
            raise U.missing_files_error(self.__class__.__name__, self.raw_folder, missing,
                                        self.mirrors, hint=self._hint())
        self.data, self.targets = self._load_data()

    def _hint(self):
        if type(self) is MNIST or self.__class__.__name__ == "MNIST":
            return (". Offline, torchlike.vision.datasets.mnist_sample_root() gives a root with "
                    "the 6000-image MNIST subset bundled with torchlike")
        return ""

    @property
    def raw_folder(self):
        return os.path.join(self.root, self.__class__.__name__, "raw")

    @property
    def processed_folder(self):
        return os.path.join(self.root, self.__class__.__name__, "processed")

    @property
    def class_to_idx(self):
        return {_class: i for i, _class in enumerate(self.classes)}

    def _files(self):
        prefix = "train" if self.train else "t10k"
        return [f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"]

    def _find(self, name):
        for cand in (name, name + ".gz"):
            p = os.path.join(self.raw_folder, cand)
            if os.path.isfile(p):
                return p
        return None

    def _missing(self):
        return [f + ".gz" for f in self._files() if self._find(f) is None]

    def _md5(self, gz_name):
        return dict(self.resources).get(gz_name)

    def _load_data(self):
        img_name, lbl_name = self._files()
        ip, lp = self._find(img_name), self._find(lbl_name)
        images = read_idx_file(ip, 3, self._md5(os.path.basename(ip)))
        labels = read_idx_file(lp, 1, self._md5(os.path.basename(lp)))
        if images.dtype != np.uint8 or labels.dtype != np.uint8:
            raise RuntimeError(f"{ip} / {lp}: expected unsigned byte IDX files")
        if len(images) != len(labels):
            raise RuntimeError(f"{ip} holds {len(images)} images but {lp} holds {len(labels)} "
                               "labels: one of them is truncated or from another data set")
        data = _aligned_tensor(images)
        targets = _aligned_tensor(labels.astype(np.int64))
        return data, targets

    def _check_exists(self):
        return not self._missing()

    def download(self):
        """Fetch the missing archives (MD5-checked) and extract them, like torchvision."""
        if self._check_exists() and all(
                os.path.isfile(os.path.join(self.raw_folder, f)) for f in self._files()):
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        failures = []
        for filename, md5 in self.resources:
            raw = os.path.join(self.raw_folder, filename[:-3])
            gz = os.path.join(self.raw_folder, filename)
            if os.path.isfile(raw):
                continue
            if not U.check_integrity(gz, md5):
                if os.path.isfile(gz):
                    raise RuntimeError(f"{gz} is corrupted: its MD5 checksum does not match the "
                                       f"expected {md5}. Delete it and download it again.")
                reason = U.download_from_mirrors(self.mirrors, filename, self.raw_folder, md5)
                if reason is not None:
                    failures.append((filename, reason))
                    continue
            _extract_gz(gz, raw)
        if failures:
            needed = set(f + ".gz" for f in self._files())
            if any(f in needed for f, _ in failures):
                raise U.missing_files_error(self.__class__.__name__, self.raw_folder,
                                            [f for f, _ in failures], self.mirrors,
                                            reason=failures[0][1], hint=self._hint())

    def __getitem__(self, index):
        img, target = self._np_data()[index], int(self._np_targets()[index])
        img = _to_image(img)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    _plain_getitem = __getitem__

    def _np_data(self):
        return _np_of(self.data)

    def _np_targets(self):
        return _np_of(self.targets)

    def _batch_images(self, idx):
        return self._np_data()[idx]

    def _batch_targets(self, idx):
        return self._np_targets()[idx]

    def __len__(self):
        return len(self.data)

    def extra_repr(self):
        split = "Train" if self.train is True else "Test"
        return f"Split: {split}"


def _np_of(t):
    """A numpy view of a tensor's values (no copy for tensors made by from_numpy)."""
    from ..._tensor import Tensor
    if not isinstance(t, Tensor):
        return np.asarray(t)
    if t._np is not None and t._base is None and not t._npcopy:
        return t._np
    cache = getattr(t, "_tl_np_cache", None)
    if cache is not None and cache[0] is t._v:
        return cache[1]
    arr = np.asarray(t._v)
    try:
        t._tl_np_cache = (t._v, arr)
    except AttributeError:
        pass
    return arr


def _to_image(arr):
    from ..transforms.functional import Image
    if Image is None:
        return arr
    return Image.fromarray(np.ascontiguousarray(arr))


def _extract_gz(gz, raw):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(raw), suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, gzip.open(gz, "rb") as f:
            shutil.copyfileobj(f, out)
        os.replace(tmp, raw)
    except (EOFError, OSError, zlib.error) as e:
        raise RuntimeError(f"{gz} is truncated or corrupted: {e}") from None
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


class FashionMNIST(MNIST):
    """`Fashion-MNIST <https://github.com/zalandoresearch/fashion-mnist>`_."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]


class KMNIST(MNIST):
    """`Kuzushiji-MNIST <https://github.com/rois-codh/kmnist>`_."""

    mirrors = ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7"),
        ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344"),
        ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7"),
        ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134"),
    ]
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]


# ------------------------------------------------------------------ bundled MNIST subset

_SAMPLE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "_data")
_SAMPLE_FILES = {  # bundled file -> (name in MNIST/raw, MD5 of the bundled .gz)
    "train-images-idx3-ubyte-first5000.gz": "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte-first5000.gz": "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte-first1000.gz": "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte-first1000.gz": "t10k-labels-idx1-ubyte",
}


def _sample_md5s():
    out = {}
    with open(os.path.join(_SAMPLE_DIR, "MD5SUMS")) as f:
        for line in f:
            if line.strip():
                md5, name = line.split()
                out[name] = md5
    return out


def mnist_sample_root(root=None):
    """A dataset root holding ``MNIST/raw`` built from the real MNIST subset bundled with
    torchlike (the first 5000 training and 1000 test images, see ``vision/_data/README.md``).

    ``MNIST(mnist_sample_root(), train=True)`` then works offline, with 5000 / 1000 samples.
    The files are checked against the bundled MD5 list and extracted once into ``root``
    (default: ``$XDG_CACHE_HOME/torchlike/mnist_sample`` or ``~/.cache/...``).
    """
    if root is None:
        cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"),
                                                                 ".cache")
        root = os.path.join(cache, "torchlike", "mnist_sample")
    raw = os.path.join(root, "MNIST", "raw")
    md5s = _sample_md5s()
    for bundled, name in _SAMPLE_FILES.items():
        dst = os.path.join(raw, name)
        if os.path.isfile(dst):
            continue
        src = os.path.join(_SAMPLE_DIR, bundled)
        if not U.check_integrity(src, md5s[bundled]):
            raise RuntimeError(f"the bundled MNIST subset file {src} is missing or corrupted "
                               "(MD5 mismatch); reinstall torchlike")
        os.makedirs(raw, exist_ok=True)
        _extract_gz(src, dst)
    return root
