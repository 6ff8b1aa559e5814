"""Reconstructors from deep-learning frameworks: PyTorch modules and JAX functions.

``torch_reconstructor`` and ``jax_reconstructor`` wrap a network so that the stability tools
(``worst_case_perturbation``, ``reconstructor_report``, ``StabilisedReconstructor``) can run
it on NumPy data and differentiate it exactly: the VJP comes from the framework's automatic
differentiation. Neither framework is imported until a wrapper is built (optional extras
``torch`` and ``jax``).

Layouts (the same for both frameworks):

* ``backprojection=None``: the network takes the measurements as they are (a tensor of
  ``y``'s shape; complex measurements as a complex tensor).
* ``backprojection=B`` (a ``LinearOperator``, usually the measurement operator itself): the
  network takes the image ``B^H y`` in the NCHW layout of convolutional networks,
  ``(1, C, H, W)``: ``C = 2`` channels (real and imaginary parts) or ``C = 1`` (the real part
  only), by default 2 when ``B^H y`` is complex. This is the usual "post-processing"
  network (a U-net on the zero-filled reconstruction).
* Output: the network's output with leading singleton axes removed (a real image, e.g.
  ``(1, 1, H, W) -> (H, W)``); ``complex_output=True`` reads two channels ``(1, 2, H, W)`` as
  the real and imaginary parts of a complex image.

Cotangents follow the library's convention (``dL/dRe + i dL/dIm`` for complex arrays): the
VJP of the image cotangent ``v`` is the gradient of ``L = Re<v, f(y)>`` with respect to
``y``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .._validation import all_finite
from ..operators import LinearOperator

__all__ = [
    "JaxReconstructor",
    "TorchReconstructor",
    "as_reconstructor",
    "jax_reconstructor",
    "torch_reconstructor",
]


class _Layout:
    """Converts between NumPy measurements/images and the network's input/output arrays."""

    def __init__(self, backprojection, channels, complex_output: bool):
        if backprojection is not None and not isinstance(backprojection, LinearOperator):
            raise TypeError(
                "backprojection must be a fastsparse.operators.LinearOperator or None, got "
                f"{type(backprojection).__name__}"
            )
        if channels is not None and channels not in (1, 2):
            raise ValueError(f"channels must be 1, 2 or None, got {channels!r}")
        if channels is not None and backprojection is None:
            raise ValueError("channels applies to the image layout: pass backprojection too")
        self.B = backprojection
        self.channels = channels
        self.complex_output = bool(complex_output)

    def input(self, y) -> np.ndarray:
        """The network's input (NumPy) for measurements ``y``."""
        y = np.asarray(y)
        if not all_finite(y):
            raise ValueError("y must be finite (no NaN or inf)")
        if self.B is None:
            return np.ascontiguousarray(y)
        img = self.B.adjoint(y)
        c = self.channels if self.channels is not None else (2 if img.dtype.kind == "c" else 1)
        if c == 2:
            return np.ascontiguousarray(np.stack([img.real, img.imag])[None])
        return np.ascontiguousarray(img.real[None, None])

    def input_cotangent(self, y, g: np.ndarray) -> np.ndarray:
        """Cotangent of ``y`` from the cotangent ``g`` of the network's input."""
        if self.B is None:
            return g
        # L depends on B^H y through its real (and imaginary) part: for the cotangent
        # g = g_re + i g_im of B^H y, dL = Re<g, B^H dy> = Re<B g, dy>, so ybar = B g (its real
        # part for real y)
        gi = g[0, 0] + 1j * g[0, 1] if g.shape[1] == 2 else g[0, 0]
        if np.iscomplexobj(gi):
            single = np.asarray(y).dtype in (np.float32, np.complex64)
            gi = gi.astype(np.complex64 if single else np.complex128, copy=False)
        ybar = self.B.forward(gi)
        return ybar if np.iscomplexobj(np.asarray(y)) else np.ascontiguousarray(ybar.real)

    def output(self, o: np.ndarray) -> np.ndarray:
        """The image from the network's output."""
        if self.complex_output:
            if o.ndim < 3 or o.shape[-3] != 2 or math.prod(o.shape[:-3]) != 1:
                raise ValueError(
                    "complex_output=True needs an output of shape (1, 2, H, W) or (2, H, W), "
                    f"got {o.shape}"
                )
            o = o.reshape(o.shape[-3:])
            return o[0] + 1j * o[1]
        while o.ndim > 2 and o.shape[0] == 1:
            o = o[0]
        return o

    def output_cotangent(self, v, shape, dtype) -> np.ndarray:
        """The cotangent of the network's output (``shape``) for the image cotangent ``v``."""
        v = np.asarray(v)
        if self.complex_output:
            ch = np.stack([v.real, v.imag]).astype(dtype, copy=False)
            return ch.reshape(shape)
        if np.iscomplexobj(v) and np.dtype(dtype).kind != "c":
            v = v.real  # d Re(z) = Re(dz): a real output takes the real part
        if v.size != math.prod(shape):
            raise ValueError(f"v has {v.size} entries, the network's output has shape {shape}")
        return np.ascontiguousarray(v.reshape(shape)).astype(dtype, copy=False)


class _FrameworkReconstructor:
    """Base of the framework wrappers: ``__call__(y)`` and ``vjp(y, v)`` on NumPy arrays."""

    framework = ""

    def __init__(self, layout: _Layout, name: str):
        self._layout = layout
        self.name = name

    def __call__(self, y) -> np.ndarray:
        return self._layout.output(self._forward(self._layout.input(y)))

    def vjp(self, y, v) -> np.ndarray:
        """Cotangent of the measurements ``y`` for the image cotangent ``v`` (exact, autodiff)."""
        g = self._vjp(self._layout.input(y), v)
        return self._layout.input_cotangent(y, g)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name})"

    def _forward(self, inp: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _vjp(self, inp: np.ndarray, v) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError


def _torch():
    try:
        import torch
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError(
            "torch_reconstructor needs PyTorch: pip install 'fastsparse[torch]'"
        ) from None
    return torch


class TorchReconstructor(_FrameworkReconstructor):
    """A ``torch.nn.Module`` as a reconstructor (see ``torch_reconstructor``)."""

    framework = "torch"
    #: Set by ``train_unet``: settings, cache path, seconds, loss, whether loaded.
    training_info: dict[str, Any] | None = None

    def __init__(self, module, layout: _Layout, name: str):
        torch = _torch()
        if not isinstance(module, torch.nn.Module):
            raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
        super().__init__(layout, name)
        self.module = module
        p = next(iter(module.parameters()), None)
        if p is None:
            p = next(iter(module.buffers()), None)
        self.device = p.device if p is not None else torch.device("cpu")
        self.dtype = p.dtype if p is not None and p.is_floating_point() else torch.float64
        self._torch = torch

    def _tensor(self, a: np.ndarray, grad: bool = False):
        torch = self._torch
        if a.dtype.kind == "c":
            dt = torch.complex128 if self.dtype == torch.float64 else torch.complex64
        else:
            dt = self.dtype
        t = torch.as_tensor(np.ascontiguousarray(a)).to(device=self.device, dtype=dt)
        return t.requires_grad_(grad)

    @staticmethod
    def _numpy(t) -> np.ndarray:
        return t.detach().cpu().resolve_conj().numpy()

    def _forward(self, inp: np.ndarray) -> np.ndarray:
        with self._torch.no_grad():
            return self._numpy(self.module(self._tensor(inp)))

    def _vjp(self, inp: np.ndarray, v) -> np.ndarray:
        torch = self._torch
        with torch.enable_grad():
            t = self._tensor(inp, grad=True)
            o = self.module(t)
            cot = self._layout.output_cotangent(
                v, tuple(o.shape), np.dtype(str(o.dtype).replace("torch.", ""))
            )
            c = torch.as_tensor(cot).to(device=o.device, dtype=o.dtype)
            L = (torch.conj(c) * o).real.sum() if o.is_complex() else (c * o).sum()
            # autograd.grad, not backward: the module's parameters get no .grad
            (g,) = torch.autograd.grad(L, t)
        return self._numpy(g)


def torch_reconstructor(
    module, *, backprojection=None, channels=None, complex_output=False, name=None
) -> TorchReconstructor:
    """Wrap a ``torch.nn.Module`` as a reconstructor with exact VJPs (autograd).

    The module runs on its own device and in its own floating-point type (that of its first
    parameter; float64 when it has none): NumPy data go in and come out, on CPU or GPU.
    The module is not modified (no ``.grad`` is accumulated, its train/eval mode is left as
    it is: call ``module.eval()`` first for a network with dropout or batch normalisation).

    Parameters
    ----------
    module : torch.nn.Module
        The network.
    backprojection : LinearOperator, optional
        When given, the network takes the image ``backprojection^H y`` as ``(1, C, H, W)``
        (see ``channels``); otherwise it takes the measurements as they are.
    channels : {1, 2}, optional
        With ``backprojection``: 2 = real and imaginary parts as two channels, 1 = the real
        part only. Default: 2 for a complex image, 1 for a real one.
    complex_output : bool
        Read an output of shape ``(1, 2, H, W)`` as a complex image. Default: the output
        with its leading singleton axes removed.
    name : str, optional
        Shown in reports (default: the module's class name).

    Returns
    -------
    TorchReconstructor
        ``rec(y)`` (the image, NumPy) and ``rec.vjp(y, v)`` (the cotangent of ``y``,
        convention ``dL/dRe + i dL/dIm``).

    Examples
    --------
    A post-processing network on the zero-filled reconstruction (see the user guide,
    "Networks from PyTorch and JAX")::

        rec = torch_reconstructor(unet, backprojection=A)   # unet: (1, 2, H, W) -> (1, 1, H, W)
        image = rec(y)
        attack = worst_case_perturbation(rec, A, x, max_norm=0.01 * np.linalg.norm(A.forward(x)))
    """
    layout = _Layout(backprojection, channels, complex_output)
    return TorchReconstructor(module, layout, name or type(module).__name__)


def _jax():
    try:
        import jax
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("jax_reconstructor needs JAX: pip install 'fastsparse[jax]'") from None
    return jax


class JaxReconstructor(_FrameworkReconstructor):
    """A JAX function as a reconstructor (see ``jax_reconstructor``)."""

    framework = "jax"

    def __init__(self, fn: Callable, layout: _Layout, name: str):
        if not callable(fn):
            raise TypeError(f"fn must be callable, got {type(fn).__name__}")
        super().__init__(layout, name)
        self._jax = _jax()
        self.fn = fn

    def _array(self, a: np.ndarray):
        jnp = self._jax.numpy
        x64 = bool(self._jax.config.read("jax_enable_x64"))
        if a.dtype.kind == "c":
            return jnp.asarray(a, dtype=jnp.complex128 if x64 else jnp.complex64)
        return jnp.asarray(a, dtype=jnp.float64 if x64 else jnp.float32)

    def _forward(self, inp: np.ndarray) -> np.ndarray:
        return np.asarray(self.fn(self._array(inp)))

    def _vjp(self, inp: np.ndarray, v) -> np.ndarray:
        jax = self._jax
        o, pullback = jax.vjp(self.fn, self._array(inp))
        cot = self._layout.output_cotangent(v, tuple(o.shape), np.dtype(o.dtype))
        # JAX's cotangents of complex values are conjugated against this library's
        # convention (its VJP of L = Re<v, o> takes conj(v) and returns conj(dL/dRe + i dL/dIm))
        if np.iscomplexobj(cot):
            cot = np.conj(cot)
        (g,) = pullback(jax.numpy.asarray(cot, dtype=o.dtype))
        g = np.asarray(g)
        return np.conj(g) if np.iscomplexobj(g) else g


def jax_reconstructor(
    fn, *, backprojection=None, channels=None, complex_output=False, name=None
) -> JaxReconstructor:
    """Wrap a JAX function (measurements or image -> image) as a reconstructor (``jax.vjp``).

    Same layouts and conventions as ``torch_reconstructor``. JAX computes in single precision
    unless ``jax.config.update("jax_enable_x64", True)`` was called (this wrapper does not
    change JAX's configuration).

    Parameters
    ----------
    fn : callable
        A JAX-traceable function of one array.
    backprojection, channels, complex_output, name
        As for ``torch_reconstructor`` (``name`` defaults to the function's name).
    """
    layout = _Layout(backprojection, channels, complex_output)
    return JaxReconstructor(fn, layout, name or getattr(fn, "__name__", "jax function"))


def _is_torch_module(obj: Any) -> bool:
    import sys

    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.nn.Module)


def as_reconstructor(recon):
    """``recon`` with a ``vjp``: a ``torch.nn.Module`` is wrapped (measurements in, see
    ``torch_reconstructor``); anything with a ``vjp`` method, or any other callable, is
    returned as it is."""
    if _is_torch_module(recon):
        return torch_reconstructor(recon)
    return recon
