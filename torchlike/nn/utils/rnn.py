"""pad_sequence, PackedSequence, pack_padded_sequence / pad_packed_sequence, pack_sequence."""
from __future__ import annotations

from collections import namedtuple

import jax.numpy as jnp
import numpy as np

from ... import _functions as _F
from ..._tensor import Tensor, _new

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence",
           "pad_sequence", "unpad_sequence", "pack_sequence", "unpack_sequence"]

_PackedSequenceBase = namedtuple("PackedSequence",
                                 ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


class PackedSequence(_PackedSequenceBase):
    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = invert_permutation(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        return type(self)(self.data.to(*args, **kwargs), self.batch_sizes, self.sorted_indices,
                          self.unsorted_indices)

    @property
    def is_cuda(self):
        return self.data.is_cuda


def invert_permutation(permutation):
    if permutation is None:
        return None
    p = np.asarray(permutation._v)
    out = np.empty_like(p)
    out[p] = np.arange(p.size)
    return _new(jnp.asarray(out))


def _lengths(lengths):
    if isinstance(lengths, Tensor):
        return [int(v) for v in np.asarray(lengths._v).reshape(-1)]
    return [int(v) for v in lengths]


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0))
    sequences = list(sequences)
    max_len = max(s.shape[0] for s in sequences)
    out = []
    for s in sequences:
        n = max_len - s.shape[0]
        if n:
            pads = [0, 0] * (s.dim() - 1) + ([0, n] if padding_side == "right" else [n, 0])
            from ..functional import pad
            s = pad(s, pads, value=padding_value)
        out.append(s)
    return _F.stack(out, 1 if not batch_first else 0)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[:n] for seq, n in zip(padded_sequences, _lengths(lengths))]


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    lens = _lengths(lengths)
    if enforce_sorted:
        if any(lens[i] < lens[i + 1] for i in range(len(lens) - 1)):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when "
                               "`enforce_sorted` is True. You can pass `enforce_sorted=False` "
                               "to pack_padded_sequence and/or pack_sequence to sidestep this "
                               "requirement if you do not need ONNX exportability.")
        sorted_indices = None
        order = list(range(len(lens)))
    else:
        order = sorted(range(len(lens)), key=lambda i: -lens[i])
        sorted_indices = _new(jnp.asarray(order, jnp.int64))
    if batch_first:
        input = input.transpose(0, 1)
    if min(lens) <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element "
                           "in 'lengths' that is <= 0")
    slens = [lens[i] for i in order]
    if sorted_indices is not None:
        input = input.index_select(1, sorted_indices)
    batch_sizes = [sum(1 for n in slens if n > t) for t in range(slens[0])]
    data = _F.cat([input[t, :bs] for t, bs in enumerate(batch_sizes)], 0)
    return PackedSequence(data, _new(jnp.asarray(batch_sizes, jnp.int64)), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    data, batch_sizes = sequence.data, [int(v) for v in np.asarray(sequence.batch_sizes._v)]
    b = batch_sizes[0]
    T = len(batch_sizes)
    if total_length is not None:
        if total_length < T:
            raise ValueError("Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {T}")
        T = total_length
    rows, off = [], 0
    from ..functional import pad
    for t in range(T):
        if t < len(batch_sizes):
            bs = batch_sizes[t]
            chunk = data[off:off + bs]
            off += bs
            if bs < b:
                chunk = pad(chunk, [0, 0] * (chunk.dim() - 1) + [0, b - bs], value=padding_value)
        else:
            from ..._creation import full
            chunk = full((b,) + tuple(data.shape[1:]), padding_value, dtype=data.dtype)
        rows.append(chunk)
    padded = _F.stack(rows, 0)
    lengths = np.array([sum(1 for bs in batch_sizes if bs > i) for i in range(b)], np.int64)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices)
        lengths = lengths[np.asarray(sequence.unsorted_indices._v)]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, _new(jnp.asarray(lengths))


def pack_sequence(sequences, enforce_sorted=True):
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
