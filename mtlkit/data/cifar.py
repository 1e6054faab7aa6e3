"""CIFAR-10 and CIFAR-100 from the official python archives, with their coarse (super-class) labels.

Krizhevsky, *Learning Multiple Layers of Features from Tiny Images*, 2009. The archives hold pickled
dicts: ``data`` (uint8 ``[N, 3072]``, the R, G and B planes of a 32x32 image) and ``labels`` (CIFAR-10) or
``fine_labels`` + ``coarse_labels`` (CIFAR-100). We read the pickles ourselves (with an unpickler that
only accepts numpy arrays) and check no md5 of the extracted files, so any copy in the official layout
(e.g. re-packed with the images in another order) loads unchanged.

Coarse tasks: CIFAR-10 has two, animal (bird, cat, deer, dog, frog, horse) and vehicle (airplane,
automobile, ship, truck); CIFAR-100 has its 20 official super-classes, and ``coarse_of_fine`` is derived
from the labels and checked to be a function of the fine class.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mtlkit._io import first_missing, remove_created
from mtlkit.data.dataset import Pool
from mtlkit.errors import DataNotFoundError, UserError

_URL = "https://www.cs.toronto.edu/~kriz/"
ARCHIVES = {  # name -> (archive file, md5 of the archive, folder inside it)
    "cifar10": ("cifar-10-python.tar.gz", "c58f30108f718f92721af3b95e74349a", "cifar-10-batches-py"),
    "cifar100": ("cifar-100-python.tar.gz", "eb9058c3a382ffc7106e4002c42a8d85", "cifar-100-python"),
}
FILES = {
    "cifar10": {
        "train": [f"data_batch_{i}" for i in range(1, 6)],
        "test": ["test_batch"],
        "meta": ["batches.meta"],
    },
    "cifar100": {"train": ["train"], "test": ["test"], "meta": ["meta"]},
}
CIFAR10_COARSE = ["animal", "vehicle"]
CIFAR10_VEHICLES = {"airplane", "automobile", "ship", "truck"}
CIFAR10_FINE = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def folder_of(name: str, root: Path) -> Path:
    return Path(root) / ARCHIVES[name][2]


def _missing(name: str, folder: Path) -> list[str]:
    return [f for f in _all_files(name) if not (folder / f).is_file()]


def _offline_copy(name: str, folder: Path) -> str:
    """Where an offline copy goes: the extracted official python version, pickles unchanged."""
    files = ", ".join(_all_files(name))
    return f"the extracted official python version ({ARCHIVES[name][0]} from {_URL}) to {folder}/ ({files})"


def _all_files(name: str) -> list[str]:
    return [f for files in FILES[name].values() for f in files]


def ensure(name: str, root: Path, download: bool = False) -> Path:
    """The folder holding ``name``'s pickles under ``root``, downloaded first if missing and ``download``;
    else raise DataNotFoundError saying how to get them."""
    folder = folder_of(name, root)
    if not _missing(name, folder):
        return folder
    if not download:
        raise DataNotFoundError(
            f"{name} not found in {folder} (missing {', '.join(_missing(name, folder))}). Get it with "
            f"load({name!r}, download=True) or `mtlkit data download {name}`, or set MTLKIT_DATA (or root=) "
            f"to a folder holding {folder.name}/; offline, copy {_offline_copy(name, folder)}."
        )
    _download(name, Path(root))
    if missing := _missing(name, folder):
        raise UserError(f"the {name} archive did not contain {', '.join(missing)}; delete {folder} and retry")
    return folder


def _download(name: str, root: Path) -> None:
    """Fetch and extract the official archive (md5-checked); on any failure remove what this created."""
    from torchvision.datasets.utils import download_and_extract_archive  # heavy import, only when needed

    archive, md5, folder = ARCHIVES[name]
    top = first_missing(root)  # the folders of root's path, else the archive and folder, if new
    created = [top] if top is not None else [p for p in (root / archive, root / folder) if not p.exists()]
    try:
        download_and_extract_archive(_URL + archive, download_root=str(root), filename=archive, md5=md5)
    except BaseException as error:  # a failed or interrupted download leaves nothing behind
        remove_created(created)
        if not isinstance(error, OSError | RuntimeError):
            raise
        raise UserError(  # URLError is an OSError; a bad md5 is a RuntimeError
            f"could not download {name} from {_URL + archive} into {root}: {error}. Check the connection "
            f"and retry; offline, copy {_offline_copy(name, folder_of(name, root))}."
        ) from error


class _ArrayUnpickler(pickle.Unpickler):
    """Loads dicts, lists, strings and numpy arrays only: unpickling arbitrary classes can run code."""

    _ALLOWED = frozenset(
        {
            ("numpy", "ndarray"),
            ("numpy", "dtype"),
            ("numpy.core.multiarray", "_reconstruct"),
            ("numpy._core.multiarray", "_reconstruct"),
            ("numpy.core.numeric", "_frombuffer"),
            ("numpy._core.numeric", "_frombuffer"),
            ("_codecs", "encode"),
        }
    )

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        return super().find_class(module, name)


def _unpickle(path: Path) -> dict[str, Any]:
    """A CIFAR pickle as a dict with ``str`` keys; a damaged file raises UserError."""
    try:
        with open(path, "rb") as f:
            raw = _ArrayUnpickler(f, encoding="bytes").load()
        if not isinstance(raw, dict):
            raise TypeError(f"expected a dict, got {type(raw).__name__}")
        return {k.decode() if isinstance(k, bytes) else k: v for k, v in raw.items()}
    except Exception as error:  # any failure to parse means the file is not a CIFAR pickle
        raise UserError(
            f"{path} is damaged or not a CIFAR pickle ({error}); delete its folder and get it again"
        ) from error


def _decode(names: list) -> list[str]:
    return [n.decode() if isinstance(n, bytes) else str(n) for n in names]


def _field(batch: dict[str, Any], key: str, path: Path) -> Any:
    if key not in batch:
        raise UserError(f"{path} has no {key!r} entry; it is not a CIFAR pickle: delete it and get it again")
    return batch[key]


def _read_part(name: str, folder: Path, part: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Images uint8 ``[N, 3, 32, 32]`` and raw label arrays of the ``train`` or ``test`` pickles."""
    label_keys = {"cifar10": ["labels"], "cifar100": ["fine_labels", "coarse_labels"]}[name]
    images: list[np.ndarray] = []
    labels: dict[str, list[np.ndarray]] = {k: [] for k in label_keys}
    for file in FILES[name][part]:
        path = folder / file
        batch = _unpickle(path)
        data = np.asarray(_field(batch, "data", path), dtype=np.uint8)
        if data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
            raise UserError(f"{path}: 'data' has shape {data.shape}, expected [N, 3072]; the file is damaged")
        images.append(data.reshape(-1, 3, 32, 32))
        for key in label_keys:
            y = np.asarray(_field(batch, key, path), dtype=np.int64)
            if y.shape != (len(data),):
                raise UserError(f"{path}: {len(y)} {key} for {len(data)} images; the file is damaged")
            labels[key].append(y)
    return np.concatenate(images), {k: np.concatenate(v) for k, v in labels.items()}


def _cifar10_coarse(fine_names: list[str]) -> torch.Tensor:
    if sorted(fine_names) != sorted(CIFAR10_FINE):
        raise UserError(f"batches.meta lists classes {fine_names}, not CIFAR-10's; the data is damaged")
    return torch.tensor([int(n in CIFAR10_VEHICLES) for n in fine_names])


def coarse_of_fine_from_labels(fine: np.ndarray, coarse: np.ndarray, num_fine: int) -> torch.Tensor:
    """The coarse class of each fine class, checked to be a function (every fine class in exactly one
    coarse class, every fine class present)."""
    mapping = np.full(num_fine, -1, dtype=np.int64)
    mapping[fine] = coarse
    if (mapping < 0).any() or not np.array_equal(mapping[fine], coarse):
        raise UserError("CIFAR-100 coarse labels are not a function of the fine labels; the data is damaged")
    return torch.from_numpy(mapping)


def read(name: str, folder: Path, part: str) -> Pool:
    """The ``train`` or ``test`` split of ``name`` from the pickles in ``folder``."""
    images, raw = _read_part(name, folder, part)
    meta_path = folder / FILES[name]["meta"][0]
    meta = _unpickle(meta_path)
    if name == "cifar10":
        fine_names = _decode(_field(meta, "label_names", meta_path))
        coarse_names, coarse_of_fine = list(CIFAR10_COARSE), _cifar10_coarse(fine_names)
        fine = raw["labels"]
    else:
        fine_names = _decode(_field(meta, "fine_label_names", meta_path))
        coarse_names = _decode(_field(meta, "coarse_label_names", meta_path))
        fine = raw["fine_labels"]
        coarse_of_fine = coarse_of_fine_from_labels(fine, raw["coarse_labels"], len(fine_names))
    if fine.min() < 0 or fine.max() >= len(fine_names):
        raise UserError(f"{folder}: fine labels outside [0, {len(fine_names)}); the data is damaged")
    fine_t = torch.from_numpy(fine)
    return Pool(
        images=torch.from_numpy(images),
        labels={"fine": fine_t, "coarse": coarse_of_fine[fine_t]},
        class_names={"fine": fine_names, "coarse": coarse_names},
        coarse_of_fine=coarse_of_fine,
    )
