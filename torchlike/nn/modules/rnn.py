"""RNN, LSTM, GRU and their cells. One op (`rnn_layer`, a lax.scan) per layer and direction;
PyTorch's parameter names (weight_ih_l0, ..._reverse) and gate orders (LSTM i,f,g,o; GRU
r,z,n), so state_dicts are interchangeable."""
from __future__ import annotations

import math
import numbers
import warnings

from ... import _creation as C
from ... import _functions as _F
from ..._ops.registry import TABLE as T
from ..._ops.registry import call
from .. import functional as F
from .. import init
from ..parameter import Parameter
from ._utils import empty
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


class RNNBase(Module):
    __constants__ = ["mode", "input_size", "hidden_size", "num_layers", "bias", "batch_first",
                     "dropout", "bidirectional", "proj_size"]

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, proj_size=0, device=None,
                 dtype=None):
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1
        if (not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1
                or isinstance(dropout, bool)):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: "
                            f"{type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=2)
        gate_size = _GATES[mode] * hidden_size
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                real_hidden_size = proj_size if proj_size > 0 else hidden_size
                layer_input_size = (input_size if layer == 0
                                    else real_hidden_size * num_directions)
                w_ih = Parameter(empty(gate_size, layer_input_size, device=device, dtype=dtype))
                w_hh = Parameter(empty(gate_size, real_hidden_size, device=device, dtype=dtype))
                b_ih = Parameter(empty(gate_size, device=device, dtype=dtype))
                b_hh = Parameter(empty(gate_size, device=device, dtype=dtype))
                layer_params = (w_ih, w_hh, b_ih, b_hh) if bias else (w_ih, w_hh)
                if proj_size > 0:
                    layer_params += (Parameter(empty(proj_size, hidden_size, device=device,
                                                     dtype=dtype)),)
                suffix = "_reverse" if direction == 1 else ""
                param_names = ["weight_ih_l{}{}", "weight_hh_l{}{}"]
                if bias:
                    param_names += ["bias_ih_l{}{}", "bias_hh_l{}{}"]
                if proj_size > 0:
                    param_names += ["weight_hr_l{}{}"]
                param_names = [x.format(layer, suffix) for x in param_names]
                for name, param in zip(param_names, layer_params):
                    setattr(self, name, param)
                self._flat_weights_names.extend(param_names)
                self._all_weights.append(param_names)
        self.reset_parameters()

    @property
    def _flat_weights(self):
        return [getattr(self, wn) if hasattr(self, wn) else None
                for wn in self._flat_weights_names]

    @property
    def all_weights(self):
        return [[getattr(self, weight) for weight in weights] for weights in self._all_weights]

    def flatten_parameters(self):
        pass

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    def _run(self, input, hx, cx, mask=None):
        """input: (T, B, I); hx: (L*D, B, H or P), cx: (L*D, B, H); mask: (T, B) bool for a
        packed batch (False past a sequence's end) or None. Returns out (T, B, D*(H or P)),
        h_n, c_n."""
        nd = 2 if self.bidirectional else 1
        layer_in = input
        hs, cs = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(nd):
                suffix = "_reverse" if d == 1 else ""
                w_ih = getattr(self, f"weight_ih_l{layer}{suffix}")
                w_hh = getattr(self, f"weight_hh_l{layer}{suffix}")
                b_ih = getattr(self, f"bias_ih_l{layer}{suffix}") if self.bias else None
                b_hh = getattr(self, f"bias_hh_l{layer}{suffix}") if self.bias else None
                idx = layer * nd + d
                h0 = hx[idx]
                c0 = cx[idx] if cx is not None else None
                w_hr = (getattr(self, f"weight_hr_l{layer}{suffix}") if self.proj_size > 0
                        else None)
                if w_hr is None and mask is None:
                    out, h, c = call(T["rnn_layer"], (layer_in, h0, c0, w_ih, w_hh, b_ih, b_hh),
                                     (self.mode, d == 1))
                else:
                    out, h, c = call(T["rnn_layer_ex"], (layer_in, h0, c0, w_ih, w_hh, b_ih,
                                                         b_hh, w_hr, mask), (self.mode, d == 1))
                outs.append(out)
                hs.append(h)
                cs.append(c)
            layer_in = outs[0] if nd == 1 else _F.cat(outs, dim=2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_in = F.dropout(layer_in, self.dropout, True)
        h_n = _F.stack(hs, 0)
        c_n = _F.stack(cs, 0) if cx is not None else None
        return layer_in, h_n, c_n

    def _check_dtype(self, input):
        from ...amp.autocast_mode import _is_any_autocast_enabled
        w = self._flat_weights[0]
        if input.dtype != w.dtype and not _is_any_autocast_enabled():
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype "
                             f"({w.dtype}). Convert input: input.to({w.dtype}), or convert "
                             f"model: model.to({input.dtype})")

    def _unpack(self, input):
        """A PackedSequence's data as a padded (T, B, I) batch in the caller's batch order, with
        the (T, B) mask of real steps; None for any other input."""
        from ..utils.rnn import PackedSequence, pad_packed_sequence
        if not isinstance(input, PackedSequence):
            return None
        self._check_dtype(input.data)
        if input.data.dim() != 2:
            raise RuntimeError(f"input must have 2 dimensions, got {input.data.dim()}")
        if input.data.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.data.shape[-1]}")
        x, lengths = pad_packed_sequence(input)
        import jax.numpy as jnp
        import numpy as np
        from ..._tensor import _new
        lens = np.asarray(lengths._v)
        mask = _new(jnp.asarray(np.arange(x.shape[0])[:, None] < lens[None, :]))
        return x, mask

    def _repack(self, out, packed):
        from ..utils.rnn import _pack_like
        return _pack_like(out, packed)

    def _prepare(self, input, hx, is_lstm):
        if input.dim() not in (2, 3):
            raise ValueError(f"{self.mode if self.mode in ('LSTM', 'GRU') else 'RNN'}: Expected "
                             f"input to be 2D or 3D, got {input.dim()}D tensor instead")
        batched = input.dim() == 3
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.shape[-1]}")
        self._check_dtype(input)
        x = input if batched else input.unsqueeze(1)
        if batched and self.batch_first:
            x = x.transpose(0, 1)
        return x, batched

    def _hidden(self, hx, x, batched, name="hx", size=None,
                msg="Expected hidden size {}, got {}"):
        nd = 2 if self.bidirectional else 1
        b = x.shape[1]
        shape = (self.num_layers * nd, b, size or self.hidden_size)
        if hx is None:
            return C.zeros(*shape, dtype=x.dtype, device=x.device)
        if not batched:
            if hx.dim() != 2:
                raise RuntimeError(f"For unbatched 2-D input, {name} should also be 2-D but got "
                                   f"{hx.dim()}-D tensor")
            hx = hx.unsqueeze(1)
        elif hx.dim() != 3:
            raise RuntimeError(f"For batched 3-D input, {name} should also be 3-D but got "
                               f"{hx.dim()}-D tensor")
        if tuple(hx.shape) != shape:
            raise RuntimeError(msg.format(shape, list(hx.shape)))
        return hx

    def _finish(self, out, batched):
        if not batched:
            return out.squeeze(1)
        if self.batch_first:
            return out.transpose(0, 1)
        return out

    def forward(self, input, hx=None):
        packed = self._unpack(input)
        if packed is not None:
            x, mask = packed
            if hx is not None and hx.dim() != 3:
                raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got "
                                   f"{hx.dim()}-D tensor")
            out, h_n, _ = self._run(x, self._hidden(hx, x, True), None, mask)
            return self._repack(out, input), h_n
        x, batched = self._prepare(input, hx, False)
        h0 = self._hidden(hx, x, batched)
        out, h_n, _ = self._run(x, h0, None)
        return self._finish(out, batched), (h_n if batched else h_n.squeeze(1))


class RNN(RNNBase):
    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        super().__init__(mode, *args, **kwargs)


class LSTM(RNNBase):
    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def forward(self, input, hx=None):
        packed = self._unpack(input)
        if packed is not None:
            x, mask = packed
            batched = True
        else:
            x, batched = self._prepare(input, hx, True)
            mask = None
        hsize = self.proj_size or self.hidden_size
        if hx is None:
            h0 = self._hidden(None, x, batched, size=hsize)
            c0 = self._hidden(None, x, batched)
        else:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise RuntimeError("LSTM expects hx to be a tuple (h_0, c_0)")
            h0 = self._hidden(hx[0], x, batched, size=hsize,
                              msg="Expected hidden[0] size {}, got {}")
            c0 = self._hidden(hx[1], x, batched, "cx", msg="Expected hidden[1] size {}, got {}")
        out, h_n, c_n = self._run(x, h0, c0, mask)
        if packed is not None:
            return self._repack(out, input), (h_n, c_n)
        if not batched:
            h_n, c_n = h_n.squeeze(1), c_n.squeeze(1)
        return self._finish(out, batched), (h_n, c_n)


class GRU(RNNBase):
    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


class RNNCellBase(Module):
    __constants__ = ["input_size", "hidden_size", "bias"]
    _mode = "RNN_TANH"

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(empty(num_chunks * hidden_size, input_size, device=device,
                                         dtype=dtype))
        self.weight_hh = Parameter(empty(num_chunks * hidden_size, hidden_size, device=device,
                                         dtype=dtype))
        if bias:
            self.bias_ih = Parameter(empty(num_chunks * hidden_size, device=device, dtype=dtype))
            self.bias_hh = Parameter(empty(num_chunks * hidden_size, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _step(self, input, h, c, mode):
        if input.dim() not in (1, 2):
            raise ValueError(f"{type(self).__name__}: Expected input to be 1D or 2D, got "
                             f"{input.dim()}D instead")
        batched = input.dim() == 2
        x = input if batched else input.unsqueeze(0)
        b = x.shape[0]
        if h is None:
            h = C.zeros(b, self.hidden_size, dtype=x.dtype, device=x.device)
        elif not batched:
            h = h.unsqueeze(0)
        if mode == "LSTM":
            if c is None:
                c = C.zeros(b, self.hidden_size, dtype=x.dtype, device=x.device)
            elif not batched:
                c = c.unsqueeze(0)
        out, h2, c2 = call(T["rnn_layer"], (x.unsqueeze(0), h, c, self.weight_ih,
                                            self.weight_hh, self.bias_ih, self.bias_hh),
                           (mode, False))
        if not batched:
            h2, c2 = h2.squeeze(0), c2.squeeze(0)
        return h2, c2


class RNNCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device,
                         dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        mode = {"tanh": "RNN_TANH", "relu": "RNN_RELU"}.get(self.nonlinearity)
        if mode is None:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        return self._step(input, hx, None, mode)[0]


class LSTMCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device,
                         dtype=dtype)

    def forward(self, input, hx=None):
        h, c = (None, None) if hx is None else hx
        return self._step(input, h, c, "LSTM")


class GRUCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device,
                         dtype=dtype)

    def forward(self, input, hx=None):
        return self._step(input, hx, None, "GRU")[0]
