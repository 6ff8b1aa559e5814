"""A small trained U-net: the deep reconstruction that shows the instability (PyTorch).

``train_unet`` trains a post-processing U-net (zero-filled reconstruction ``A^H y`` in, as
two channels, image out; residual learning) on random-ellipse images measured by ``A``, on
the CPU in a minute or two, and caches its weights in the user cache
(``$FASTSPARSE_CACHE_DIR/networks``, else ``$XDG_CACHE_HOME/fastsparse/networks``, else
``~/.cache/fastsparse/networks``), keyed by everything that determines them. The returned
``TorchReconstructor`` plugs into ``worst_case_perturbation``, ``reconstructor_report``
and ``StabilisedReconstructor``.
"""

from __future__ import annotations

import hashlib
import json
import time
from functools import lru_cache
from pathlib import Path

import numpy as np

from .._fftw import cache_dir
from .._validation import check_int, check_real
from ..operators import LinearOperator
from ..problems import add_noise
from ._frameworks import TorchReconstructor, _torch, torch_reconstructor
from ._unstable import random_ellipses

__all__ = ["train_unet", "unet_cache_path"]

_VERSION = 1  # bump when the architecture or the training changes


@lru_cache(maxsize=1)
def _unet_class():
    torch = _torch()
    nn = torch.nn

    def block(cin, cout):
        return nn.Sequential(
            nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(), nn.Conv2d(cout, cout, 3, padding=1),
            nn.ReLU(),
        )  # fmt: skip

    class UNet(nn.Module):  # type: ignore[name-defined,misc]
        """Two-level U-net, ``width`` channels at the top; output = input's channel 0 + net.

        Input ``(B, 2, H, W)`` (real and imaginary parts of ``A^H y``), output
        ``(B, 1, H, W)``; ``H`` and ``W`` divisible by 4.
        """

        def __init__(self, width: int = 16):
            super().__init__()
            w = width
            self.e1 = block(2, w)
            self.e2 = block(w, 2 * w)
            self.mid = block(2 * w, 4 * w)
            self.u2 = nn.ConvTranspose2d(4 * w, 2 * w, 2, stride=2)
            self.d2 = block(4 * w, 2 * w)
            self.u1 = nn.ConvTranspose2d(2 * w, w, 2, stride=2)
            self.d1 = block(2 * w, w)
            self.out = nn.Conv2d(w, 1, 1)
            self.pool = nn.MaxPool2d(2)

        def forward(self, x):
            a = self.e1(x)
            b = self.e2(self.pool(a))
            c = self.mid(self.pool(b))
            d = self.d2(torch.cat([self.u2(c), b], dim=1))
            e = self.d1(torch.cat([self.u1(d), a], dim=1))
            return x[:, :1] + self.out(e)

    return UNet


def _settings(A, n, samples, epochs, noise, width, seed) -> dict:
    mask = getattr(A, "mask", None)
    mhash = (
        hashlib.sha256(np.ascontiguousarray(mask).tobytes()).hexdigest()[:16]
        if mask is not None
        else "none"
    )
    return {
        "version": _VERSION,
        "operator": type(A).__name__,
        "n": n,
        "mask": mhash,
        "samples": samples,
        "epochs": epochs,
        "noise": noise,
        "width": width,
        "seed": seed,
    }


def unet_cache_path(settings: dict) -> Path:
    """Where ``train_unet`` keeps the weights for ``settings``."""
    key = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:20]
    return cache_dir() / "networks" / f"unet-{key}.pt"


def train_unet(
    A: LinearOperator,
    *,
    samples=2000,
    epochs=20,
    noise=0.0,
    width=16,
    seed=0,
    cache=True,
    verbose=False,
) -> TorchReconstructor:
    """Train (or load from the cache) a U-net that reconstructs images from ``A``'s data.

    Training pairs: ``samples`` random-ellipse images ``x`` (``random_ellipses``) and the
    zero-filled reconstructions ``A^H (A x + e)``, ``e`` complex Gaussian noise of norm
    ``noise * ||A x||`` (a new draw every epoch; ``noise = 0``: clean data). Adam (learning
    rate 1e-3, halved at 60 % and 85 % of the epochs), batches of 16, mean squared error,
    float32, seeded: the same settings give the same weights on the same machine.

    Parameters
    ----------
    A : LinearOperator
        Image -> measurements, square images with sides divisible by 4 (e.g.
        ``SubsampledFourier(das((64, 64), 0.25))``).
    samples, epochs : int
        Training set size and passes over it.
    noise : float
        Relative noise level of the training data (0 to 1).
    width : int
        Channels of the U-net's first level (then 2x and 4x).
    seed : int
        Seed of the images, the noise and the initial weights.
    cache : bool
        Load the weights from the user cache if present, and save them there after
        training (atomically).
    verbose : bool
        Print the loss per epoch.

    Returns
    -------
    TorchReconstructor
        The trained network (eval mode) on ``backprojection=A``; ``.module`` is the U-net,
        ``.training_info`` a dict (settings, cache path, seconds, final loss, loaded).
    """
    torch = _torch()
    if not isinstance(A, LinearOperator):
        raise TypeError(f"A must be a LinearOperator, got {type(A).__name__}")
    shape = tuple(A.in_shape)
    if len(shape) != 2 or shape[0] != shape[1] or shape[0] % 4:
        raise ValueError(f"A must act on square images with sides divisible by 4, got {shape}")
    n = shape[0]
    samples = check_int(samples, "samples", minimum=16)
    epochs = check_int(epochs, "epochs", minimum=1)
    noise = check_real(noise, "noise", nonnegative=True, maximum=1.0)
    width = check_int(width, "width", minimum=2)
    seed = check_int(seed, "seed", minimum=0)
    settings = _settings(A, n, samples, epochs, noise, width, seed)
    path = unet_cache_path(settings)
    UNet = _unet_class()
    torch.manual_seed(seed)
    net = UNet(width)
    info = {"settings": settings, "path": str(path), "loaded": False}
    t0 = time.perf_counter()
    if cache and path.exists():
        net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        info["loaded"] = True
    else:
        if verbose:
            print(
                f"training a U-net on {samples} images x {epochs} epochs (noise {noise:g}); "
                f"first run only{', cached in ' + str(path) if cache else ''}",
                flush=True,
            )
        info["loss"] = _train(net, A, n, samples, epochs, noise, seed, verbose)
        if cache:
            _save(torch, net, path)
    info["seconds"] = time.perf_counter() - t0
    net.eval()
    rec = torch_reconstructor(net, backprojection=A, channels=2, name="U-net")
    rec.training_info = info
    return rec


def _inputs(A, X, noise, rng) -> np.ndarray:
    """Zero-filled reconstructions of the images ``X`` as ``(B, 2, n, n)`` float32."""
    out = np.empty((len(X), 2) + X.shape[1:], np.float32)
    for j, x in enumerate(X):
        y = A.forward(x)
        if noise > 0:
            y = add_noise(y, noise, rng)
        z = A.adjoint(y)
        out[j, 0], out[j, 1] = z.real, (z.imag if np.iscomplexobj(z) else 0.0)
    return out


def _train(net, A, n, samples, epochs, noise, seed, verbose) -> float:
    torch = _torch()
    rng = np.random.default_rng(seed)
    X = random_ellipses(n, samples, seed=seed)
    target = torch.as_tensor(X[:, None].astype(np.float32))
    inp = torch.as_tensor(_inputs(A, X, noise, rng))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.MultiStepLR(
        opt, milestones=[int(0.6 * epochs), int(0.85 * epochs)], gamma=0.5
    )
    gen = torch.Generator().manual_seed(seed)
    loss_v = float("nan")
    net.train()
    for ep in range(epochs):
        if noise > 0 and ep > 0:
            inp = torch.as_tensor(_inputs(A, X, noise, rng))
        perm = torch.randperm(samples, generator=gen)
        total = 0.0
        for k in range(0, samples, 16):
            idx = perm[k : k + 16]
            opt.zero_grad()
            loss = torch.mean((net(inp[idx]) - target[idx]) ** 2)
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
        sched.step()
        loss_v = total / samples
        if verbose:
            print(f"  epoch {ep + 1:3d}/{epochs}: mean squared error {loss_v:.3e}", flush=True)
    return loss_v


def _save(torch, net, path: Path) -> None:
    """Write the weights atomically (``fastsparse.io``'s temporary file, fsync, rename)."""
    from ..io import _atomic

    path.parent.mkdir(parents=True, exist_ok=True)
    with _atomic(path) as tmp:
        torch.save(net.state_dict(), tmp)
