"""Task datasets for multi-task image classification, and a fast on-device batch loader.

    from mtlkit.data import load, DeviceLoader
    train = load("shapes", "train")            # or "cifar10", "cifar100"; splits train / val / test
    loader = DeviceLoader(train, 256, device, augment=True)
    for images, labels in loader:              # labels: {"fine": ..., "coarse": ...}
        ...

See ``docs/design.md`` for the contract and ``registry.load`` for the details of each dataset.
"""

from mtlkit.data.dataset import TaskDataset
from mtlkit.data.loader import DeviceLoader
from mtlkit.data.registry import default_root, describe, load, names

__all__ = ["DeviceLoader", "TaskDataset", "default_root", "describe", "load", "names"]
