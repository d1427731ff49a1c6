"""vision: datasets from torchvision's layouts, bundled subset, transforms, make_grid."""
import gzip
import os
import shutil

import numpy as np
import pytest

import torchlike
from torchlike.utils.data import DataLoader
from torchlike.vision import datasets, transforms, utils

from conftest import SHARED

MNIST_RAW = os.path.join(SHARED, "data", "MNIST", "raw")
need_shared = pytest.mark.skipif(not os.path.isdir(MNIST_RAW), reason="../shared absent")


@need_shared
def test_mnist_from_shared_data():
    ds = datasets.MNIST(os.path.join(SHARED, "data"), train=True,
                        transform=transforms.ToTensor())
    assert len(ds) == 60000 and ds.data.dtype is torchlike.uint8
    assert ds.data.shape == torchlike.Size([60000, 28, 28])
    assert ds.targets.dtype is torchlike.int64 and ds.targets[:5].tolist() == [5, 0, 4, 1, 9]
    img, label = ds[0]
    assert label == 5 and img.shape == torchlike.Size([1, 28, 28])
    assert img.dtype is torchlike.float32
    assert abs(img.sum().item() - 107.94117736816406) < 1e-3   # real torch + torchvision
    assert ds.classes[0] == "0 - zero" and ds.class_to_idx["9 - nine"] == 9
    test = datasets.MNIST(os.path.join(SHARED, "data"), train=False)
    assert len(test) == 10000 and "Split: Test" in repr(test)


def test_bundled_subset_and_batches(tmp_path):
    root = datasets.mnist_sample_root(str(tmp_path / "sample"))
    norm = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,),
                                                                           (0.3081,))])
    ds = datasets.MNIST(root, train=True, transform=norm)
    assert len(ds) == 5000 and len(datasets.MNIST(root, train=False)) == 1000
    assert ds.targets[:5].tolist() == [5, 0, 4, 1, 9]
    xb, yb = next(iter(DataLoader(ds, batch_size=16)))
    assert xb.shape == torchlike.Size([16, 1, 28, 28]) and yb.dtype is torchlike.int64
    for i in (0, 7, 15):   # the vectorised batch equals the per-sample transform bit for bit
        assert torchlike.equal(xb[i], ds[i][0]) and yb[i].item() == ds[i][1]
    sub = torchlike.utils.data.Subset(ds, range(100, 110))
    xs, ys = next(iter(DataLoader(sub, batch_size=10)))
    assert torchlike.equal(xs[3], ds[103][0])
    assert repr(ds) == (
        f"Dataset MNIST\n    Number of datapoints: 5000\n    Root location: {root}\n"
        "    Split: Train\n    StandardTransform\nTransform: Compose(\n"
        "               ToTensor()\n               Normalize(mean=(0.1307,), std=(0.3081,))\n"
        "           )")


def test_missing_truncated_and_corrupted_files(tmp_path):
    with pytest.raises(RuntimeError, match="train-images-idx3-ubyte.gz.*MNIST/raw"):
        datasets.MNIST(str(tmp_path))
    root = datasets.mnist_sample_root(str(tmp_path / "s"))
    raw = os.path.join(root, "MNIST", "raw")
    bad = tmp_path / "bad"
    shutil.copytree(raw, bad / "MNIST" / "raw")
    p = bad / "MNIST" / "raw" / "train-images-idx3-ubyte"
    p.write_bytes(p.read_bytes()[:5000])
    with pytest.raises(RuntimeError, match="truncated"):
        datasets.MNIST(str(bad))
    # a .gz whose checksum differs from torchvision's list is refused
    g = tmp_path / "g" / "MNIST" / "raw"
    g.mkdir(parents=True)
    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        with open(os.path.join(raw, name), "rb") as f, gzip.open(g / (name + ".gz"), "wb") as o:
            o.write(f.read())
    with pytest.raises(RuntimeError, match="MD5"):
        datasets.MNIST(str(tmp_path / "g"), train=False)


def test_download_without_network_names_files(tmp_path, monkeypatch):
    import urllib.request

    def no_net(*a, **k):
        raise OSError("network unreachable")
    monkeypatch.setattr(urllib.request, "urlopen", no_net)
    with pytest.raises(RuntimeError) as e:
        datasets.FashionMNIST(str(tmp_path), download=True)
    msg = str(e.value)
    assert "train-images-idx3-ubyte.gz" in msg and os.path.join("FashionMNIST", "raw") in msg
    assert "network unreachable" in msg


def test_fakedata_and_cifar_like_batches():
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5, 0.5, 0.5),
                                                                         (0.5, 0.5, 0.5))])
    fd = datasets.FakeData(size=20, image_size=(3, 32, 32), num_classes=10, transform=tf)
    img, target = fd[3]
    assert img.shape == torchlike.Size([3, 32, 32]) and 0 <= target < 10
    assert torchlike.equal(fd[3][0], img)          # reproducible per index
    xb, yb = next(iter(DataLoader(fd, batch_size=4)))
    assert torchlike.equal(xb[3], img) and yb[3].item() == target
    assert xb.min().item() >= -1 and xb.max().item() <= 1
    grid = utils.make_grid(xb)
    assert grid.shape == torchlike.Size([3, 36, 138])


def test_fakedata_num_workers_two():
    fd = datasets.FakeData(size=12, image_size=(1, 8, 8), transform=transforms.ToTensor())
    a = list(DataLoader(fd, batch_size=4, num_workers=2))
    b = list(DataLoader(fd, batch_size=4))
    assert all(torchlike.equal(x[0], y[0]) and torchlike.equal(x[1], y[1])
               for x, y in zip(a, b))


def test_cifar10_layout(tmp_path):
    import pickle
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted"):
        datasets.CIFAR10(str(tmp_path))


def test_transforms_match_torchvision_semantics():
    from PIL import Image
    a = (np.arange(4 * 6 * 3) % 256).astype(np.uint8).reshape(4, 6, 3)
    t = transforms.ToTensor()(a)
    assert t.shape == torchlike.Size([3, 4, 6]) and t.dtype is torchlike.float32
    np.testing.assert_array_equal(np.asarray(t), a.transpose(2, 0, 1).astype(np.float32) / 255)
    pil = Image.fromarray(a)
    assert torchlike.equal(transforms.ToTensor()(pil), t)
    assert transforms.CenterCrop(2)(pil).size == (2, 2)
    assert transforms.CenterCrop(2)(t).shape == torchlike.Size([3, 2, 2])
    assert transforms.Pad(1)(t).shape == torchlike.Size([3, 6, 8])
    assert transforms.Pad((1, 2))(pil).size == (8, 8)
    assert transforms.RandomCrop(3, padding=1)(t).shape == torchlike.Size([3, 3, 3])
    flipped = transforms.RandomHorizontalFlip(p=1.0)(t)
    assert torchlike.equal(flipped, t.flip(-1))
    assert transforms.Resize(8)(pil).size == (12, 8)
    assert transforms.Resize((2, 3))(t).shape == torchlike.Size([3, 2, 3])
    assert transforms.Grayscale()(pil).mode == "L"
    assert transforms.Grayscale(3)(t).shape == torchlike.Size([3, 4, 6])
    back = transforms.ToPILImage()(t)
    assert back.mode == "RGB" and np.array_equal(np.array(back), a)
    assert transforms.Lambda(lambda x: x * 2)(t).shape == t.shape
    n = transforms.Normalize((0.5,), (0.25,))(t[:1])
    np.testing.assert_allclose(np.asarray(n), (np.asarray(t[:1]) - 0.5) / 0.25, rtol=1e-6)
    assert repr(transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
                ) == "Compose(\n    ToTensor()\n    Normalize(mean=(0.5,), std=(0.5,))\n)"
    assert repr(transforms.Resize(8)) == \
        "Resize(size=8, interpolation=bilinear, max_size=None, antialias=True)"
    assert repr(transforms.CenterCrop(3)) == "CenterCrop(size=(3, 3))"
    assert repr(transforms.RandomHorizontalFlip()) == "RandomHorizontalFlip(p=0.5)"


def test_make_grid_like_torchvision():
    x = torchlike.ones(3, 1, 4, 4)
    g = utils.make_grid(x, nrow=2, padding=1)
    assert g.shape == torchlike.Size([3, 11, 11])
    assert g[0, 0, 0].item() == 0 and g[0, 1, 1].item() == 1


def test_image_folder(tmp_path):
    from PIL import Image
    for cls in ("cat", "dog"):
        (tmp_path / cls).mkdir()
        for i in range(2):
            Image.new("RGB", (5, 4), (i * 50, 0, 0)).save(tmp_path / cls / f"{i}.png")
    ds = datasets.ImageFolder(str(tmp_path), transform=transforms.ToTensor())
    assert ds.classes == ["cat", "dog"] and ds.targets == [0, 0, 1, 1] and len(ds) == 4
    x, y = ds[2]
    assert x.shape == torchlike.Size([3, 4, 5]) and y == 1
