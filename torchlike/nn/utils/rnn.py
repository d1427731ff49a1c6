"""PackedSequence, pack_padded_sequence / pad_packed_sequence, pack_sequence / unpack_sequence,
pad_sequence / unpad_sequence, as in torch.nn.utils.rnn.

Packing and unpacking are one `index_select` each over indices computed on the host from the
lengths (never a Python loop over time steps), so gradients flow through both."""
from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable

import jax.numpy as jnp
import numpy as np

from ... import _functions as _F
from ..._tensor import Tensor, _new

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence",
           "pad_sequence", "unpad_sequence", "pack_sequence", "unpack_sequence"]

_PackedSequenceBase = namedtuple("PackedSequence",
                                 ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


class PackedSequence(_PackedSequenceBase):
    """Holds the data and list of `batch_sizes` of a packed sequence (see PyTorch's docs)."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:     # PyTorch's internal (data, batch_sizes) tuple form
            if isinstance(data, (tuple, list)) and len(data) == 2:
                data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _with(self, data):
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def to(self, *args, **kwargs):
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        si = None if self.sorted_indices is None else self.sorted_indices.to(data.device)
        ui = None if self.unsorted_indices is None else self.unsorted_indices.to(data.device)
        return type(self)(data, self.batch_sizes, si, ui)

    def cuda(self, *args, **kwargs):
        return self.to(self.data.cuda(*args, **kwargs).device)

    def cpu(self, *args, **kwargs):
        return self.to("cpu")

    def pin_memory(self):
        return self

    def double(self):
        return self._with(self.data.double())

    def float(self):
        return self._with(self.data.float())

    def half(self):
        return self._with(self.data.half())

    def long(self):
        return self._with(self.data.long())

    def int(self):
        return self._with(self.data.int())

    def short(self):
        return self._with(self.data.short())

    def char(self):
        return self._with(self.data.char())

    def byte(self):
        return self._with(self.data.byte())

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return False


def invert_permutation(permutation):
    if permutation is None:
        return None
    p = np.asarray(permutation._v)
    out = np.empty_like(p)
    out[p] = np.arange(p.size)
    return _new(jnp.asarray(out, jnp.int64))


def _host_ints(x):
    if isinstance(x, Tensor):
        from ..._tensor import _is_tracer
        if _is_tracer(x._v):
            raise RuntimeError(
                "pack_padded_sequence: the sequence lengths are a traced tensor inside "
                "torchlike.compile, but packing needs their values (they set the packed "
                "shapes). Pass the lengths as a Python list (a constant of the compiled "
                "function), or pack outside the compiled function.")
        return np.asarray(x._v).reshape(-1).astype(np.int64)
    return np.asarray([int(v) for v in x], np.int64)


def _ints(t):
    return _new(jnp.asarray(np.asarray(t, np.int64)))


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0))
    if not isinstance(sequences, Iterable):
        raise RuntimeError("pad_sequence: Expected iterable for input sequences, but got arg of "
                           f"type: {type(sequences)}")
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise ValueError("Expected padding_side to be one of left or right, but got "
                         f"{padding_side}.")
    max_len = max(s.shape[0] for s in sequences)
    out = []
    from ..functional import pad
    for s in sequences:
        n = max_len - s.shape[0]
        if n:
            pads = [0, 0] * (s.dim() - 1) + ([0, n] if padding_side == "right" else [n, 0])
            s = pad(s, pads, value=padding_value)
        out.append(s)
    return _F.stack(out, 0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    if not batch_first:
        padded_sequences.transpose_(0, 1)    # in place, as PyTorch's does
    lens = _host_ints(lengths)
    if len(lens) != padded_sequences.shape[0]:
        which = "shorter" if len(lens) < padded_sequences.shape[0] else "longer"
        raise ValueError(f"zip() argument 2 is {which} than argument 1")
    return [seq[:int(n)] for seq, n in zip(padded_sequences, lens)]


def _layout(batch_sizes, unsorted):
    """Host-side geometry of a packed batch: lengths in sorted order, the row offset of each
    time step in `data`, and each original sequence's position in the sorted order."""
    bs = np.asarray(batch_sizes, np.int64)
    b = int(bs[0])
    offsets = np.concatenate([[0], np.cumsum(bs)[:-1]])
    slens = (bs[None, :] > np.arange(b)[:, None]).sum(1)        # sorted order
    pos = np.arange(b) if unsorted is None else unsorted         # original -> sorted position
    return bs, b, offsets, slens, pos


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    lens = _host_ints(lengths)
    if enforce_sorted:
        if np.any(lens[:-1] < lens[1:]):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when "
                               "`enforce_sorted` is True. You can pass `enforce_sorted=False` "
                               "to pack_padded_sequence and/or pack_sequence to sidestep this "
                               "requirement if you do not need ONNX exportability.")
        order = np.arange(len(lens))
        sorted_indices = None
    else:
        order = np.argsort(-lens, kind="stable")
        sorted_indices = _ints(order)
    if lens.size == 0 or lens.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element "
                           "in 'lengths' that is <= 0")
    bdim = 0 if batch_first else 1
    if input.shape[bdim] != len(lens):
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{len(lens)} (batch_size={input.shape[bdim]})")
    T = int(lens.max())
    if T > input.shape[1 - bdim]:
        raise RuntimeError(f"pack_padded_sequence: a length ({T}) exceeds the padded input's "
                           f"time dimension ({input.shape[1 - bdim]})")
    slens = lens[order]
    batch_sizes = (slens[None, :] > np.arange(T)[:, None]).sum(1)
    B = len(lens)
    # packed row r = (t, j): j-th sequence in sorted order at step t
    t_idx = np.concatenate([np.full(n, t) for t, n in enumerate(batch_sizes)])
    j_idx = np.concatenate([np.arange(n) for n in batch_sizes])
    if batch_first:
        flat_idx = order[j_idx] * input.shape[1] + t_idx
    else:
        flat_idx = t_idx * B + order[j_idx]
    flat = input.reshape((input.shape[0] * input.shape[1],) + tuple(input.shape[2:]))
    data = flat.index_select(0, _ints(flat_idx))
    return PackedSequence(data, _ints(batch_sizes), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    data = sequence.data
    unsorted = (None if sequence.unsorted_indices is None
                else np.asarray(sequence.unsorted_indices._v))
    bs, b, offsets, slens, pos = _layout(np.asarray(sequence.batch_sizes._v), unsorted)
    T = len(bs)
    if total_length is not None:
        if total_length < T:
            raise ValueError("Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {T}")
        T = total_length
    n = data.shape[0]
    t = np.arange(T)[:, None]
    j = pos[None, :]                                  # (1, B) sorted positions, original order
    valid = t < slens[j]
    idx = np.where(valid, offsets[np.minimum(t, len(bs) - 1)] + j, n)   # n: the padding row
    if batch_first:
        idx = idx.T
    from ..._creation import full
    pad_row = full((1,) + tuple(data.shape[1:]), padding_value, dtype=data.dtype,
                   device=data.device)
    padded = _F.cat([data, pad_row], 0).index_select(0, _ints(idx.reshape(-1)))
    padded = padded.reshape(idx.shape + tuple(data.shape[1:]))
    return padded, _ints(slens[pos])


def pack_sequence(sequences, enforce_sorted=True):
    lengths = [v.size(0) for v in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)


def _pack_like(padded, like):
    """Pack a (T, B, *) batch in the caller's order with the layout of the PackedSequence
    `like` (its batch_sizes and sorted_indices): an RNN's output for a packed input."""
    unsorted = None if like.unsorted_indices is None else np.asarray(like.unsorted_indices._v)
    bs, b, offsets, slens, pos = _layout(np.asarray(like.batch_sizes._v), unsorted)
    order = np.argsort(pos)                     # sorted position -> original index
    t_idx = np.concatenate([np.full(n, t) for t, n in enumerate(bs)])
    j_idx = np.concatenate([np.arange(n) for n in bs])
    flat_idx = t_idx * padded.shape[1] + order[j_idx]
    flat = padded.reshape((padded.shape[0] * padded.shape[1],) + tuple(padded.shape[2:]))
    return type(like)(flat.index_select(0, _ints(flat_idx)), like.batch_sizes,
                      like.sorted_indices, like.unsorted_indices)
