"""torchvision.datasets: MNIST, FashionMNIST, KMNIST, CIFAR10, CIFAR100, ImageFolder, FakeData."""
from .vision import StandardTransform, VisionDataset  # noqa: F401
from .mnist import MNIST, FashionMNIST, KMNIST, mnist_sample_root  # noqa: F401
from .cifar import CIFAR10, CIFAR100  # noqa: F401
from .folder import DatasetFolder, ImageFolder  # noqa: F401
from .fakedata import FakeData  # noqa: F401

__all__ = ["VisionDataset", "MNIST", "FashionMNIST", "KMNIST", "CIFAR10", "CIFAR100",
           "DatasetFolder", "ImageFolder", "FakeData", "mnist_sample_root"]
