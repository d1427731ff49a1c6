"""default_collate / default_convert with PyTorch's rules."""
from __future__ import annotations

import collections.abc
import re

import numpy as np

np_str_obj_array_pattern = re.compile(r"[SaUO]")

default_collate_err_msg_format = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, "
    "dicts or lists; found {}")


def _tensor_cls():
    from ..._tensor import Tensor
    return Tensor


def _array_tensor(arr):
    """A new tensor holding a (fresh) numpy array: one host-to-device transfer.

    In a DataLoader worker the batch is only pickled back to the parent, so it keeps the numpy
    array (the parent makes the device array when it unpickles the batch)."""
    import jax.numpy as jnp
    from ..._tensor import _new
    if _IN_WORKER[0]:
        return _new(np.ascontiguousarray(arr))
    return _new(jnp.asarray(arr))


_IN_WORKER = [False]


def default_convert(data):
    """Numpy arrays and numbers to tensors, recursively (collate for batch_size=None)."""
    from ... import _creation
    Tensor = _tensor_cls()
    elem_type = type(data)
    if isinstance(data, Tensor):
        return data
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "string_"):
        if elem_type.__name__ == "ndarray" and np_str_obj_array_pattern.search(data.dtype.str):
            return data
        return _creation.as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        try:
            return elem_type({k: default_convert(data[k]) for k in data})
        except TypeError:
            return {k: default_convert(data[k]) for k in data}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            return elem_type([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data


def default_collate(batch):
    """Stack a list of samples into a batch: tensors are stacked, numbers become tensors
    (float64 for Python floats, int64 for ints), dicts/tuples/lists are collated field-wise."""
    from ... import _creation, _dtype
    from ... import _functions as F
    Tensor = _tensor_cls()
    elem = batch[0]
    elem_type = type(elem)
    if isinstance(elem, Tensor):
        return F.stack(list(batch), 0)
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "string_"):
        if elem_type.__name__ in ("ndarray", "memmap"):
            if np_str_obj_array_pattern.search(elem.dtype.str) is not None:
                raise TypeError(default_collate_err_msg_format.format(elem.dtype))
            if all(isinstance(b, np.ndarray) and b.shape == elem.shape for b in batch):
                return _array_tensor(np.stack(batch))
            return default_collate([_creation.as_tensor(b) for b in batch])
        if elem.shape == ():  # numpy scalars
            return _creation.as_tensor(np.asarray(batch))
    if isinstance(elem, float):
        return _creation.tensor(batch, dtype=_dtype.float64)
    if isinstance(elem, int):
        return _creation.tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        try:
            return elem_type({key: default_collate([d[key] for d in batch]) for key in elem})
        except TypeError:
            return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(*(default_collate(samples) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        it = iter(batch)
        elem_size = len(next(it))
        if not all(len(e) == elem_size for e in it):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch))
        if isinstance(elem, tuple):
            return [default_collate(samples) for samples in transposed]
        try:
            return elem_type([default_collate(samples) for samples in transposed])
        except TypeError:
            return [default_collate(samples) for samples in transposed]
    raise TypeError(default_collate_err_msg_format.format(elem_type))
