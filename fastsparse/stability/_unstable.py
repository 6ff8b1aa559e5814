"""A deliberately unstable learned reconstructor, and FIRENET appended to it (warm start).

``train_unstable`` fits, by ridge regression with a tiny penalty, a linear map from subsampled
Fourier data to images on random-ellipse training images. It is accurate on images like
its training set, but its least-squares fit divides by tiny eigenvalues of the data
covariance, so a few measurement directions are amplified enormously: the textbook
instability of learned inverse maps. ``StabilisedReconstructor`` appends FIRENET to it,
warm-started at its output, and differentiates the whole chain exactly.
"""

from __future__ import annotations

import numpy as np

from .._validation import as_array, check_int, check_real
from ..operators import LinearOperator
from ..solvers import firenet_forward, firenet_vjp
from ._frameworks import as_reconstructor

__all__ = [
    "LinearReconstructor",
    "StabilisedReconstructor",
    "ellipses_with_details",
    "random_ellipses",
    "train_unstable",
]


def random_ellipses(n: int, count: int, seed=None) -> np.ndarray:
    """``count`` random ``n x n`` images: 1 to 6 ellipses of random intensity, in [0, 1].

    Each image is a large background ellipse of intensity 0.5 to 1 plus up to five smaller
    ellipses adding intensities in [-0.4, 0.4], clipped to [0, 1].

    Returns
    -------
    ndarray, shape (count, n, n), float64
    """
    n = check_int(n, "n", minimum=4)
    count = check_int(count, "count", minimum=1)
    rng = np.random.default_rng(seed)
    c = (2.0 * np.arange(n) + 1.0) / n - 1.0
    X, Y = np.meshgrid(c, -c)
    out = np.zeros((count, n, n))
    for j in range(count):
        img = out[j]
        k = int(rng.integers(1, 7))
        for e in range(k):
            if e == 0:
                val = rng.uniform(0.5, 1.0)
                a, b = rng.uniform(0.6, 0.9, 2)
                x0, y0 = rng.uniform(-0.08, 0.08, 2)
            else:
                val = rng.uniform(-0.4, 0.4)
                a, b = rng.uniform(0.08, 0.4, 2)
                x0, y0 = rng.uniform(-0.5, 0.5, 2)
            phi = rng.uniform(0, np.pi)
            cs, sn = np.cos(phi), np.sin(phi)
            u = (X - x0) * cs + (Y - y0) * sn
            w = -(X - x0) * sn + (Y - y0) * cs
            img[(u / a) ** 2 + (w / b) ** 2 <= 1.0] += val
        np.clip(img, 0.0, 1.0, out=img)
    return out


def ellipses_with_details(n: int, count: int, seed=None):
    """Random-ellipse images with fine details added: for detail-recovery tests.

    Each image is ``random_ellipses``'s plus 6 details in the central half of the image:
    squares of 3 x 3 pixels and bars of 2 x 8 pixels (horizontal or vertical), of contrast
    +-0.3 to 0.5, clipped to [0, 1].

    Returns
    -------
    images, bases, masks : ndarray, shape (count, n, n)
        The images, the same without details (float64), and where the details are
        (bool, dilated by one pixel).
    """
    n = check_int(n, "n", minimum=16)
    count = check_int(count, "count", minimum=1)
    bases = random_ellipses(n, count, seed=seed)
    rng = np.random.default_rng(None if seed is None else [int(seed), 7])
    images = bases.copy()
    masks = np.zeros(bases.shape, bool)
    lo, hi = n // 4, 3 * n // 4
    for j in range(count):
        for k in range(6):
            r, c = (int(v) for v in rng.integers(lo, max(lo + 1, hi - 8), 2))
            h, w = [(3, 3), (2, 8), (8, 2)][k % 3]
            val = rng.uniform(0.3, 0.5) * rng.choice([-1.0, 1.0])
            images[j, r : r + h, c : c + w] += val
            masks[j, max(r - 1, 0) : r + h + 1, max(c - 1, 0) : c + w + 1] = True
        np.clip(images[j], 0.0, 1.0, out=images[j])
    return images, bases, masks


class LinearReconstructor:
    """``y -> reshape(W [Re y; Im y])``: a linear map from complex measurements to a real image.

    Parameters
    ----------
    W : ndarray, shape (n1 * n2, 2 m)
        The weights.
    shape : tuple of int
        Image shape.
    """

    def __init__(self, W, shape):
        W = as_array(W, "W", ndim=2, real=True)
        self.W = W
        self.shape = tuple(int(s) for s in shape)
        if W.shape[0] != int(np.prod(self.shape)) or W.shape[1] % 2:
            raise ValueError(f"W has shape {W.shape}, which does not fit image shape {shape}")
        self.m = W.shape[1] // 2

    def __call__(self, y):
        y = np.asarray(y).reshape(-1)
        return (self.W @ np.concatenate([y.real, y.imag])).reshape(self.shape)

    def vjp(self, y, v):
        """Cotangent of ``y`` (``dL/dRe y + i dL/dIm y``) for the image cotangent ``v``."""
        g = self.W.T @ np.asarray(v).real.reshape(-1)
        return g[: self.m] + 1j * g[self.m :]

    def __repr__(self) -> str:
        return f"LinearReconstructor(shape={self.shape}, measurements={self.m})"


def train_unstable(A: LinearOperator, *, samples=None, ridge=1e-12, seed=0) -> LinearReconstructor:
    """Fit the unstable linear reconstructor for ``A`` on random-ellipse images.

    Solves ``min_W sum_j ||W phi(A x_j) - x_j||^2 + ridge * s ||W||_F^2`` (``phi(y) = [Re y;
    Im y]``, ``s`` = the mean eigenvalue of the feature covariance, so ``ridge`` is relative)
    in closed form: ``W = X F^T (F F^T + ridge s I)^{-1}``.

    Parameters
    ----------
    A : LinearOperator
        Image -> measurements, 2-D real images in (e.g. ``SubsampledFourier(mask)``).
    samples : int, optional
        Number of training images; default ``3 * 2 m`` (so the covariance has full rank).
    ridge : float
        Relative ridge penalty; tiny values give an accurate but unstable map.
    seed : int
        Seed of the training images.
    """
    if not isinstance(A, LinearOperator):
        raise TypeError(f"A must be a LinearOperator, got {type(A).__name__}")
    if len(A.in_shape) != 2 or A.in_shape[0] != A.in_shape[1]:
        raise ValueError(f"A must act on square images, got in_shape {A.in_shape}")
    ridge = check_real(ridge, "ridge", nonnegative=True)
    m = int(np.prod(A.out_shape))
    samples = 3 * 2 * m if samples is None else check_int(samples, "samples", minimum=1)
    X = random_ellipses(A.in_shape[0], samples, seed=seed)
    Y = np.stack([A.forward(x).reshape(-1) for x in X], axis=1)
    F = np.concatenate([Y.real, Y.imag], axis=0)
    C = F @ F.T
    s = float(np.trace(C)) / C.shape[0]
    C[np.diag_indices_from(C)] += ridge * s
    W = np.linalg.solve(C, F @ X.reshape(samples, -1)).T
    return LinearReconstructor(W, A.in_shape)


class StabilisedReconstructor:
    """FIRENET appended to a reconstructor: ``y -> synthesis(FIRENET(y; x0 = analysis(f(y))))``.

    The network is warm-started at the coefficients ``x0`` of ``f(y)`` with the error bound
    ``eps0 = F(x0) = lam ||x0||_{1,w} + ||A x0 - y||_2``, the SR-LASSO objective at the warm
    start: a valid bound of ``F(x0) - min F`` (``F >= 0``) and the analogue of the default
    ``eps0 = ||y|| = F(0)`` of a cold start. A good ``x0`` gives a small ``eps0`` (fast, keeps
    the accuracy); a corrupted one gives a large ``eps0``, so the first restarts take steps
    large enough to remove the corruption. The VJP is exact for the whole chain: through
    the network (``firenet_vjp``), its warm start (``return_x0``), ``eps0`` (``return_eps0``)
    and ``f`` (``f.vjp``), real part for the real image.

    Parameters
    ----------
    recon : callable with ``vjp``
        The first reconstructor (measurements -> real image).
    net : FIRENET
        The network on ``A = F @ synthesis`` (coefficients in, measurements out).
    synthesis : LinearOperator
        Coefficients -> image (e.g. ``Haar(shape).H``).
    """

    def __init__(self, recon, net, synthesis: LinearOperator):
        recon = as_reconstructor(recon)
        if not hasattr(recon, "vjp"):
            raise TypeError("recon must provide vjp(y, v) (or be a torch.nn.Module)")
        if not isinstance(synthesis, LinearOperator):
            raise TypeError(f"synthesis must be a LinearOperator, got {type(synthesis).__name__}")
        self.recon, self.net, self.synthesis = recon, net, synthesis
        w = getattr(net, "weights", None)
        self._w = 1.0 if w is None else np.asarray(w)

    def _start(self, y):
        x0 = self.synthesis.adjoint(np.asarray(self.recon(y))).astype(complex)
        r = self.net.A.forward(x0) - np.asarray(y)
        eps0 = self.net.lam * float(np.sum(self._w * np.abs(x0))) + float(np.linalg.norm(r))
        return x0, r, eps0

    def reach(self, y) -> float:
        """How far the appended network's soft thresholding can move one coefficient (unit
        weight) in total: ``p lam sum_k tau_k`` over the restarts of the schedule that
        ``eps0 = F(x0)`` sets for ``y``.

        An artefact of ``f`` in the null space of ``A`` (what an unstable learned map adds:
        ``A a ~ 0``, so ``F(x0)`` barely sees it) is untouched by the data term and can only
        be thresholded away, by at most this much per coefficient: the composite removes it
        only if ``reach(y) * w_i >= |a_i|`` (Haar coefficients). Measured (``fastsparse``
        user guide, "An unstable learned reconstructor"): the paper's ``lam = 2.5e-4``,
        ``tau = sigma = 1``, ``p = 10`` reach 0.038 against an artefact of 152, and the
        amplification stays 1252 for any number of restarts; ``lam = 1e-2``, ``tau = 10``,
        ``sigma = 0.1``, ``p = 5`` reach 154 and bring it to 2.9.
        """
        from ..solvers._firenet import schedule

        _, _, eps0 = self._start(y)
        net = self.net
        steps = schedule(
            eps0,
            restarts=net.restarts,
            inner=net.inner,
            delta=net.delta,
            tau=net.tau,
            sigma=net.sigma,
            L_A=net.L_A,
        )
        return float(net.inner * net.lam * sum(t for _, _, t, _ in steps))

    def __call__(self, y):
        x0, _, eps0 = self._start(y)
        c = firenet_forward(self.net, y, x0=x0, eps0=eps0)
        return np.ascontiguousarray(self.synthesis.forward(c).real)

    def vjp(self, y, v):
        """Exact cotangent of ``y`` through ``f``, the warm start, ``eps0`` and the network."""
        x0, r, eps0 = self._start(y)
        cbar = self.synthesis.adjoint(np.asarray(v, dtype=complex))
        ybar, x0bar, ebar = firenet_vjp(
            self.net, y, cbar, x0=x0, return_x0=True, eps0=eps0, return_eps0=True
        )
        nr = float(np.linalg.norm(r))
        a = np.abs(x0)
        sgn = np.divide(x0, a, out=np.zeros_like(x0), where=a > 0)
        x0bar = x0bar + ebar * self.net.lam * self._w * sgn
        if nr > 0:
            x0bar = x0bar + (ebar / nr) * self.net.A.adjoint(r)
            ybar = ybar - (ebar / nr) * r
        img_bar = self.synthesis.forward(x0bar)
        return ybar + self.recon.vjp(y, np.ascontiguousarray(img_bar.real))

    def __repr__(self) -> str:
        return f"StabilisedReconstructor({self.recon!r} + FIRENET)"
