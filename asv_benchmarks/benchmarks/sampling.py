"""Mask generation time: multilevel DAS (Fourier, Walsh), power law, two-level, uniform."""

import numpy as np

from fastsparse import data, sampling
from fastsparse.transforms import haar, haar_levels


class Masks:
    """One mask of 25% of the points, N x N."""

    params = ([512, 2048], ["das_fourier", "das_walsh", "power_law", "two_level", "uniform"])
    param_names = ["n", "pattern"]
    timeout = 120

    def setup(self, n, pattern):
        # The default DAS sparsities (phantom rule) are computed once per process and
        # cached; compute them here so that the timing is mask generation alone.
        self.s = sampling.phantom_sparsity(n)
        self.fn = {
            "das_fourier": lambda: sampling.das((n, n), 0.25, "fourier", 0, sparsity=self.s),
            "das_walsh": lambda: sampling.das((n, n), 0.25, "walsh", 0, sparsity=self.s),
            "power_law": lambda: sampling.power_law((n, n), 0.25, seed=0),
            "two_level": lambda: sampling.two_level((n, n), 0.25, seed=0),
            "uniform": lambda: sampling.uniform((n, n), 0.25, seed=0),
        }[pattern]

    def time_mask(self, n, pattern):
        self.fn()


class DefaultSparsity:
    """The steps of the phantom-rule sparsities, uncached (``phantom_sparsity`` caches its
    result): the phantom, its Haar transform, the levels and the counts of ``|c| > 0.5``."""

    params = [512, 2048]
    param_names = ["n"]

    def setup(self, n):
        sampling.phantom_sparsity(16)  # compile the Haar kernels outside the timing

    def time_phantom_sparsity(self, n):
        levels = int(np.log2(n)) - 1
        img = data.phantom(n)
        img = (img - img.min()) / (img.max() - img.min())
        c = haar(img, levels=levels)
        lev = haar_levels((n, n), levels=levels, r=levels)
        np.bincount(lev[np.abs(c) > 0.5 + 1e-9].ravel(), minlength=levels)


class Images:
    """The built-in images."""

    params = ([512, 2048], ["phantom", "texture"])
    param_names = ["n", "name"]

    def time_image(self, n, name):
        data.load(name, n)


class Yardstick:
    """A random permutation of all N*N indices: the cost of touching every point once."""

    params = [512, 2048]
    param_names = ["n"]

    def time_permutation(self, n):
        np.random.default_rng(0).permutation(n * n)


if __name__ == "__main__":
    # Same-run table for the README: python asv_benchmarks/benchmarks/sampling.py
    from fastsparse.bench import median_time

    print(f"{'N':>5}  {'case':<22}{'median ms':>10}  {'/ permutation':>13}")
    for n in Masks.params[0]:
        yard = median_time(lambda n=n: Yardstick().time_permutation(n), repeats=5)
        cases = [(p, Masks()) for p in Masks.params[1]]
        for pattern, bench in cases:
            bench.setup(n, pattern)
            t = median_time(bench.fn, repeats=5)
            print(f"{n:5d}  {pattern:<22}{t * 1e3:10.1f}  {t / yard:13.2f}")
        for name in Images.params[1]:
            t = median_time(lambda n=n, name=name: Images().time_image(n, name), repeats=5)
            print(f"{n:5d}  {name:<22}{t * 1e3:10.1f}  {t / yard:13.2f}")
        print(f"{n:5d}  {'rng.permutation(N*N)':<22}{yard * 1e3:10.1f}  {1.0:13.2f}")
