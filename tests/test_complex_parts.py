"""torch.real / torch.imag / Tensor.real / Tensor.imag: values, identity on real tensors, and
gradients through them, against real PyTorch."""
from __future__ import annotations

import numpy as np
import pytest

import torchlike


def test_real_of_a_real_tensor_is_itself_and_keeps_grad(torch):
    grads = []
    for m in (torchlike, torch):
        x = m.tensor([1.0, -2.0, 3.0], requires_grad=True)
        assert m.real(x) is x and x.real is x
        (m.real(x) * 2).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_array_equal(*grads)


def test_imag_of_a_real_tensor_raises_as_torch():
    with pytest.raises(RuntimeError, match="imag is not implemented for tensors with "
                                           "non-complex dtypes"):
        torchlike.imag(torchlike.ones(2))


def test_parts_of_complex_values_and_gradients(torch):
    out = []
    for m in (torchlike, torch):
        z = m.tensor([1 + 2j, 3 - 1j, -0.5 + 0.25j], requires_grad=True)
        re, im = z.real, m.imag(z)
        assert re.grad_fn is not None and type(re.grad_fn).__name__ == "SelectBackward0"
        (re ** 2 + 3 * im + re * im).sum().backward()
        out.append((re.detach().numpy(), im.detach().numpy(), z.grad.numpy()))
    for a, b in zip(*out):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_conj_is_recorded_for_autograd(torch):
    grads = []
    for m in (torchlike, torch):
        z = m.tensor([1 + 2j, 3 - 1j], requires_grad=True)
        (z.conj() * m.tensor([2 + 1j, 1j])).real.sum().backward()
        grads.append(z.grad.resolve_conj().numpy())
        x = m.tensor([1.0, 2.0])
        assert m.conj(x) is x
    np.testing.assert_allclose(*grads)
