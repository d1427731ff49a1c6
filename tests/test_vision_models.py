"""vision.models (torchvision's names, weights, offline cache), vision.io and vision.utils."""
import hashlib
import io
import os
import urllib.error
import urllib.request

import numpy as np
import pytest

import torchlike
from torchlike import nn
from torchlike.vision import io as tio
from torchlike.vision import models, utils

# Recorded from torchvision 0.28 (torch 2.13): state_dict entries, parameter count, and the
# first 16 hex digits of sha256("\n".join(f"{key}:{tuple(shape)}")) in state_dict order.
TORCHVISION_STATE_DICTS = {
    "alexnet": (16, 61100840, "7cf57469ad654ca3"),
    "densenet121": (727, 7978856, "604b78c2bbed70c0"),
    "mobilenet_v2": (314, 3504872, "2a375ead3e9604e1"),
    "resnet18": (122, 11689512, "3e58b0798c806a0c"),
    "resnet34": (218, 21797672, "97e365907d64da74"),
    "resnet50": (320, 25557032, "781bb16f43b8f96f"),
    "squeezenet1_0": (52, 1248424, "d028ebe5030ca989"),
    "squeezenet1_1": (52, 1235496, "d93224ce3d6af260"),
    "vgg11": (22, 132863336, "5e6ee14c22dc415d"),
    "vgg11_bn": (62, 132868840, "96ee5d41fde5cc7f"),
    "vgg16": (32, 138357544, "77334610293d95e2"),
    "vgg16_bn": (97, 138365992, "a463166a74dc0850"),
}

SAMPLES = {   # a few entries in words, for a readable failure
    "resnet50": [("layer1.0.downsample.0.weight", (256, 64, 1, 1)), ("fc.weight", (1000, 2048)),
                 ("layer4.2.bn3.num_batches_tracked", ())],
    "mobilenet_v2": [("features.1.conv.0.0.weight", (32, 1, 3, 3)),
                     ("features.18.1.running_var", (1280,))],
    "densenet121": [("features.denseblock4.denselayer16.conv2.weight", (32, 128, 3, 3)),
                    ("features.transition3.conv.weight", (512, 1024, 1, 1))],
}


def _torchvision():
    """torchvision, or skip (also when an install for another torch build fails to import)."""
    pytest.importorskip("torch")
    try:
        import torchvision
    except Exception as e:   # e.g. a CUDA wheel next to a CPU torch raises RuntimeError
        pytest.skip(f"torchvision unusable: {e}")
    return torchvision


@pytest.fixture
def no_init(monkeypatch):
    """Skip random initialisation: structure-only tests need no sampled values."""
    monkeypatch.setattr(nn.init, "_fill_random", lambda tensor, *a: tensor)


@pytest.mark.parametrize("name", sorted(TORCHVISION_STATE_DICTS))
def test_state_dict_keys_and_shapes_are_torchvisions(name, no_init):
    m = models.get_model(name)
    sd = m.state_dict()
    listing = "\n".join(f"{k}:{tuple(v.shape)}" for k, v in sd.items())
    got = (len(sd), sum(p.numel() for p in m.parameters()),
           hashlib.sha256(listing.encode()).hexdigest()[:16])
    assert got == TORCHVISION_STATE_DICTS[name]
    for key, shape in SAMPLES.get(name, []):
        assert tuple(sd[key].shape) == shape, key
    assert m.state_dict()[next(iter(sd))].dtype is torchlike.float32


def _randomize_bn(torch, model):
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.copy_(torch.rand(m.running_mean.shape, generator=g) * 0.2 - 0.1)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
                m.bias.copy_(torch.rand(m.bias.shape, generator=g) * 0.2 - 0.1)


# small configurations keep XLA's per-shape compilations few; every full model was compared
# the same way by hand (docs/vision.md)
COMPARED = [("resnet18", {}), ("squeezenet1_1", {}),
            ("mobilenet_v2", dict(inverted_residual_setting=[[1, 16, 1, 1], [6, 24, 2, 2]])),
            ("DenseNet", dict(growth_rate=8, block_config=(2, 2), num_init_features=16))]


@pytest.mark.parametrize("name,kwargs", COMPARED, ids=[c[0] for c in COMPARED])
def test_torchvision_state_dict_loads_strict_and_outputs_match(name, kwargs, tmp_path):
    torchvision = _torchvision()
    import torch
    torch.manual_seed(0)
    ref_model = getattr(torchvision.models, name)(num_classes=10, **kwargs).eval()
    _randomize_bn(torch, ref_model)
    torch.save(ref_model.state_dict(), tmp_path / "sd.pth")
    model = getattr(models, name)(num_classes=10, **kwargs)
    model.load_state_dict(torchlike.load(str(tmp_path / "sd.pth")), strict=True)
    model.eval()
    assert repr(model) == repr(ref_model)
    x = np.random.RandomState(0).randn(1, 3, 32, 32).astype(np.float32)
    with torch.no_grad():
        expected = ref_model(torch.from_numpy(x)).numpy()
    with torchlike.no_grad():
        out = model(torchlike.from_numpy(x)).numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


def test_init_schemes_follow_torchvision():
    torchlike.manual_seed(0)
    m = models.ResNet(models.resnet.BasicBlock, [1, 1, 1, 1], num_classes=10,
                      zero_init_residual=True)
    w = m.layer2[0].conv1.weight.detach().numpy()   # kaiming_normal_, fan_out, relu
    assert abs(w.std() / np.sqrt(2.0 / (128 * 9)) - 1) < 0.03 and abs(w.mean()) < 2e-3
    assert (m.bn1.weight.detach().numpy() == 1).all()
    assert (m.bn1.bias.detach().numpy() == 0).all()
    assert (m.layer1[0].bn2.weight.detach().numpy() == 0).all()         # zero_init_residual


def test_init_calls_follow_torchvision(no_init, monkeypatch):
    calls = []
    for fn in ("kaiming_normal_", "kaiming_uniform_", "normal_"):
        real = getattr(nn.init, fn)
        monkeypatch.setattr(nn.init, fn, lambda t, *a, _f=fn, _r=real, **k: (
            calls.append((_f, tuple(t.shape), a, k)), _r(t, *a, **k))[1])
    models.squeezenet1_1(num_classes=5)
    assert calls[-1] == ("normal_", (5, 512, 1, 1), (), dict(mean=0.0, std=0.01))
    assert calls[-2] == ("kaiming_uniform_", (256, 64, 3, 3), (), {})
    calls.clear()
    models.mobilenet_v2(num_classes=5, inverted_residual_setting=[[1, 16, 1, 1]])
    mine = [c for c in calls if c[0] != "kaiming_uniform_"]   # not the layers' own init
    assert mine[0] == ("kaiming_normal_", (32, 3, 3, 3), (), dict(mode="fan_out"))
    assert mine[-1] == ("normal_", (5, 1280), (0, 0.01), {})


# builders without a digest above (their parameter counts are checked in test_corpus_names)
EXTRA_BUILDERS = {"vgg13", "vgg13_bn", "vgg19", "vgg19_bn"}


def test_registry_and_weights_enums():
    everything = sorted(set(TORCHVISION_STATE_DICTS) | EXTRA_BUILDERS)
    assert models.list_models() == everything
    assert models.list_models(module=models) == everything
    import inspect
    assert str(inspect.signature(models.resnet18)) == "(*, weights=None, progress=True, **kwargs)"
    assert models.list_models(include="resnet*", exclude="*50") == ["resnet18", "resnet34"]
    assert models.get_model_builder("ResNet18") is models.resnet18
    assert models.get_model_weights("resnet50") is models.ResNet50_Weights
    assert models.get_model_weights(models.vgg11_bn) is models.VGG11_BN_Weights
    W = models.ResNet50_Weights
    assert models.get_weight("ResNet50_Weights.DEFAULT") is W.IMAGENET1K_V2
    assert W.DEFAULT is W.IMAGENET1K_V2 and repr(W.DEFAULT) == "ResNet50_Weights.IMAGENET1K_V2"
    assert W.verify("IMAGENET1K_V1") is W.IMAGENET1K_V1
    assert W.verify("ResNet50_Weights.IMAGENET1K_V1") is W.IMAGENET1K_V1
    with pytest.raises(TypeError, match="expected ResNet50_Weights but received "
                                        "ResNet18_Weights"):
        models.resnet50(weights=models.ResNet18_Weights.DEFAULT)
    with pytest.raises(ValueError, match="Unknown model nope"):
        models.get_model("nope")
    with pytest.raises(ValueError, match="expected value 1000 but got 10"):
        models.resnet18(weights="DEFAULT", num_classes=10)
    meta = models.ResNet18_Weights.IMAGENET1K_V1.meta
    assert meta["num_params"] == TORCHVISION_STATE_DICTS["resnet18"][1]
    assert len(meta["categories"]) == 1000 and meta["categories"][:2] == ["tench", "goldfish"]
    assert meta["categories"][-1] == "toilet tissue"
    assert models.ResNet18_Weights.DEFAULT.url == \
        "https://download.pytorch.org/models/resnet18-f37072fd.pth"
    assert models.VGG16_Weights.IMAGENET1K_FEATURES.meta["categories"] is None
    for name, (_, n, _) in TORCHVISION_STATE_DICTS.items():
        assert models.get_model_weights(name).DEFAULT.meta["num_params"] == n


def test_weights_transforms_preset():
    t = models.ResNet50_Weights.DEFAULT.transforms()
    assert repr(t) == ("ImageClassification(\n    crop_size=[224]\n    resize_size=[232]\n"
                       "    mean=[0.485, 0.456, 0.406]\n    std=[0.229, 0.224, 0.225]\n"
                       "    interpolation=InterpolationMode.BILINEAR\n)")
    img = torchlike.full((3, 16, 20), 255, dtype=torchlike.uint8)
    out = t(img)
    assert out.shape == (3, 224, 224) and out.dtype is torchlike.float32
    np.testing.assert_allclose(out[:, 100, 100].numpy(),
                               (1 - np.array([0.485, 0.456, 0.406])) / [0.229, 0.224, 0.225],
                               rtol=1e-5)


@pytest.fixture
def offline(monkeypatch, tmp_path):
    def no_net(*a, **k):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")
    monkeypatch.setattr(urllib.request, "urlopen", no_net)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))
    return tmp_path / "th" / "hub" / "checkpoints"


def test_pretrained_offline_error_names_url_and_cache_path(offline):
    with pytest.raises(RuntimeError) as e:
        models.squeezenet1_1(weights=models.SqueezeNet1_1_Weights.DEFAULT, progress=False)
    msg = str(e.value)
    assert "https://download.pytorch.org/models/squeezenet1_1-b8a52dc0.pth" in msg
    assert str(offline / "squeezenet1_1-b8a52dc0.pth") in msg and "TORCH_HOME" in msg
    assert os.listdir(offline) == []   # no partial file left behind


def _numbered(state_dict):
    """A state_dict whose floating entries all differ (stands for trained weights)."""
    out, start = {}, 0
    for k, v in state_dict.items():
        if v.is_floating_point():
            v = torchlike.arange(start, start + v.numel(), dtype=torchlike.float32).reshape(
                v.shape) / 1e4
            start += v.numel()
        out[k] = v
    return out


def test_pretrained_loads_from_cache_without_network(offline, no_init):
    sd = _numbered(models.squeezenet1_1().state_dict())
    offline.mkdir(parents=True)
    torchlike.save(sd, str(offline / "squeezenet1_1-b8a52dc0.pth"))
    m = models.squeezenet1_1(weights="DEFAULT")
    for (k, a), b in zip(sd.items(), m.state_dict().values()):
        assert torchlike.equal(a, b), k
    with pytest.warns(UserWarning, match="'pretrained' is deprecated"):
        m2 = models.get_model("squeezenet1_1", pretrained=True)
    assert torchlike.equal(m2.features[0].weight, sd["features.0.weight"])


def test_densenet_renames_old_checkpoint_keys(no_init):
    small = dict(growth_rate=8, block_config=(2, 2), num_init_features=16, num_classes=3)
    src = _numbered(models.DenseNet(**small).state_dict())
    # a 2017 checkpoint: 'norm.1'-style names, no num_batches_tracked
    old = {k.replace("norm1.", "norm.1.").replace("conv2.", "conv.2."): v
           for k, v in src.items() if "num_batches" not in k}
    assert "features.denseblock1.denselayer1.norm.1.weight" in old
    dst = models.DenseNet(**small)
    dst.load_state_dict(models.densenet._rename_old_keys(old))
    w = "features.denseblock2.denselayer2.conv2.weight"
    assert torchlike.equal(dst.state_dict()[w], src[w])


def test_download_checks_hash_prefix(monkeypatch, tmp_path):
    buf = io.BytesIO()
    torchlike.save({"w": torchlike.arange(3)}, buf)
    data = buf.getvalue()
    sha = hashlib.sha256(data).hexdigest()
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout=None: io.BytesIO(data))
    load = models._api.load_state_dict_from_url
    sd = load(f"https://example.invalid/m-{sha[:8]}.pth", model_dir=str(tmp_path),
              check_hash=True, progress=False)
    assert sd["w"].tolist() == [0, 1, 2] and os.path.exists(tmp_path / f"m-{sha[:8]}.pth")
    with pytest.raises(RuntimeError, match="invalid hash value"):
        load("https://example.invalid/m-0000abcd.pth", model_dir=str(tmp_path),
             check_hash=True, progress=False)
    assert not os.path.exists(tmp_path / "m-0000abcd.pth") and len(os.listdir(tmp_path)) == 1


# ---------------------------------------------------------------- vision.io

def _chw(a):
    return torchlike.from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1)))


def test_png_round_trip_and_modes(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    rng = np.random.RandomState(0)
    rgba = rng.randint(0, 256, (5, 7, 4), dtype=np.uint8)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    img = tio.read_image(str(tmp_path / "a.png"))
    assert img.dtype is torchlike.uint8 and img.shape == (4, 5, 7)
    assert np.array_equal(img.numpy(), rgba.transpose(2, 0, 1))
    rgb = tio.read_image(tmp_path / "a.png", tio.ImageReadMode.RGB)
    assert np.array_equal(rgb.numpy(), rgba[..., :3].transpose(2, 0, 1))
    gray = np.array(Image.fromarray(rgba, "RGBA").convert("L"))
    assert np.array_equal(tio.decode_image(str(tmp_path / "a.png"), "GRAY").numpy()[0], gray)
    # encode -> decode is lossless; compression levels all decode the same
    data = tio.encode_png(rgb, compression_level=9)
    assert data.dtype is torchlike.uint8 and data.dim() == 1
    assert bytes(data.numpy()[:8]) == b"\x89PNG\r\n\x1a\n"
    assert torchlike.equal(tio.decode_png(data), rgb)
    assert np.array_equal(np.array(Image.open(io.BytesIO(data.numpy().tobytes()))),
                          rgba[..., :3])
    g1 = rgb[:1]
    tio.write_png(g1, str(tmp_path / "g.png"), compression_level=0)
    assert torchlike.equal(tio.read_image(str(tmp_path / "g.png")), g1)
    # palette and 16-bit PNGs
    Image.fromarray(rgba[..., :3]).convert("P").save(tmp_path / "p.png")
    p = tio.read_image(str(tmp_path / "p.png"))
    assert p.shape == (3, 5, 7)
    assert np.array_equal(p.numpy(), np.array(Image.open(tmp_path / "p.png").convert("RGB"))
                          .transpose(2, 0, 1))
    a16 = rng.randint(0, 65536, (4, 3)).astype(np.uint16)
    Image.fromarray(a16).save(tmp_path / "h.png")
    h = tio.read_image(str(tmp_path / "h.png"))
    assert h.dtype is torchlike.uint16 and np.array_equal(h.numpy()[0], a16)


def test_jpeg_decode_matches_pillow_and_encode_round_trips(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    yy, xx = np.mgrid[0:16, 0:24]
    a = np.stack([yy * 15, xx * 10, (yy + xx) * 6], -1).astype(np.uint8)
    Image.fromarray(a).save(tmp_path / "a.jpg", quality=90)
    raw = tio.read_file(str(tmp_path / "a.jpg"))
    assert raw.dtype is torchlike.uint8 and raw.shape == (os.path.getsize(tmp_path / "a.jpg"),)
    img = tio.decode_jpeg(raw)
    assert np.array_equal(img.numpy(), np.array(Image.open(tmp_path / "a.jpg"))
                          .transpose(2, 0, 1))
    assert tio.decode_jpeg(raw, mode="GRAY").shape == (1, 16, 24)
    assert [t.shape for t in tio.decode_jpeg([raw, raw])] == [(3, 16, 24)] * 2
    enc = tio.encode_jpeg(_chw(a), quality=95)
    assert bytes(enc.numpy()[:2]) == b"\xff\xd8"
    back = tio.decode_image(enc).numpy().astype(int)
    assert np.abs(back - a.transpose(2, 0, 1)).mean() < 2.0
    tio.write_jpeg(_chw(a), str(tmp_path / "b.jpg"), quality=95)
    assert torchlike.equal(tio.read_file(str(tmp_path / "b.jpg")), enc)
    tio.write_file(str(tmp_path / "c.bin"), raw)
    assert open(tmp_path / "c.bin", "rb").read() == open(tmp_path / "a.jpg", "rb").read()


def test_io_errors(tmp_path):
    pytest.importorskip("PIL.Image")
    img = torchlike.zeros(3, 4, 4, dtype=torchlike.uint8)
    with pytest.raises(RuntimeError, match="dtype should be uint8"):
        tio.encode_png(img.float())
    with pytest.raises(RuntimeError, match="number of channels should be 1 or 3, got: 2"):
        tio.encode_jpeg(img[:2])
    with pytest.raises(RuntimeError, match="3-dimensional"):
        tio.encode_png(img[0])
    with pytest.raises(RuntimeError, match="Compression level"):
        tio.encode_png(img, compression_level=10)
    with pytest.raises(ValueError, match="between 1 and 100"):
        tio.encode_jpeg(img, quality=0)
    with pytest.raises(RuntimeError, match="No such file"):
        tio.read_file(str(tmp_path / "missing.png"))
    with pytest.raises(RuntimeError, match="torch.uint8"):
        tio.decode_png(torchlike.zeros(8))
    with pytest.raises(RuntimeError):   # JPEG bytes are not a PNG
        tio.decode_png(tio.encode_jpeg(img))
    with pytest.raises(KeyError):
        tio.decode_image(tio.encode_png(img), mode="CMYK")


# ---------------------------------------------------------------- vision.utils

def test_make_grid_hand_computed():
    x = torchlike.arange(2 * 1 * 2 * 2, dtype=torchlike.float32).reshape(2, 1, 2, 2)
    g = utils.make_grid(x, nrow=1, padding=1, pad_value=9)
    assert g.shape == (3, 7, 4) and g.dtype is torchlike.float32
    assert g[0].tolist() == [[9, 9, 9, 9], [9, 0, 1, 9], [9, 2, 3, 9], [9, 9, 9, 9],
                             [9, 4, 5, 9], [9, 6, 7, 9], [9, 9, 9, 9]]
    assert torchlike.equal(g[0], g[2])
    n = utils.make_grid(x, nrow=2, padding=0, normalize=True)
    assert n.shape == (3, 2, 4)
    np.testing.assert_allclose(n[0].numpy(), np.array([[0, 1, 4, 5], [2, 3, 6, 7]]) / 7,
                               rtol=1e-6)
    e = utils.make_grid(x, padding=0, normalize=True, scale_each=True)
    np.testing.assert_allclose(e[0].numpy(), np.array([[0, 1, 0, 1], [2, 3, 2, 3]]) / 3,
                               rtol=1e-6)
    r = utils.make_grid(x, padding=0, normalize=True, value_range=(1, 3))
    assert r[0, 0].tolist() == [0, 0, 1, 1]
    assert utils.make_grid(x[0]).shape == (3, 2, 2)            # one image: no padding
    assert utils.make_grid([x[0], x[1]], padding=0).shape == (3, 2, 4)
    u = utils.make_grid(torchlike.ones(3, 3, 2, 2, dtype=torchlike.uint8), nrow=2)
    assert u.dtype is torchlike.uint8 and u.shape == (3, 10, 10)
    with pytest.raises(TypeError, match="value_range has to be a tuple"):
        utils.make_grid(x, normalize=True, value_range=[0, 1])
    with pytest.raises(TypeError, match="tensor or list of tensors expected"):
        utils.make_grid(np.zeros((2, 3, 4, 4)))


def test_make_grid_and_save_image_match_torchvision(tmp_path):
    torchvision = _torchvision()
    import torch
    Image = pytest.importorskip("PIL.Image")
    rng = np.random.RandomState(0)
    x = (rng.randn(5, 3, 4, 6) * 3).astype(np.float32)
    for kw in [{}, dict(nrow=2, padding=3, pad_value=0.25),
               dict(normalize=True), dict(normalize=True, scale_each=True, nrow=3),
               dict(normalize=True, value_range=(-1.0, 2.0), padding=1)]:
        ref = torchvision.utils.make_grid(torch.from_numpy(x), **kw).numpy()
        out = utils.make_grid(torchlike.from_numpy(x), **kw).numpy()
        np.testing.assert_array_equal(out, ref)
    g = rng.rand(2, 1, 3, 3).astype(np.float32)
    np.testing.assert_array_equal(utils.make_grid(torchlike.from_numpy(g)).numpy(),
                                  torchvision.utils.make_grid(torch.from_numpy(g)).numpy())
    torchvision.utils.save_image(torch.from_numpy(x), tmp_path / "ref.png", normalize=True)
    utils.save_image(torchlike.from_numpy(x), str(tmp_path / "out.png"), normalize=True)
    assert np.array_equal(np.array(Image.open(tmp_path / "out.png")),
                          np.array(Image.open(tmp_path / "ref.png")))
