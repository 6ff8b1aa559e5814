"""Transform time: fwht (against pyFFTW fft2), haar, ihaar (against PyWavelets); N x N."""

import numpy as np

from fastsparse.transforms import fwht, haar, ihaar

from . import use_threads

DTYPES = ["float32", "float64", "complex64", "complex128"]


def _data(n, dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, n))
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal((n, n))
    return np.ascontiguousarray(x.astype(dtype))


class Fwht:
    """``fwht`` (sequency order, both axes, ``out=`` given)."""

    params = ([512, 1024, 2048], DTYPES)
    param_names = ["n", "dtype"]
    timeout = 300

    def setup(self, n, dtype):
        self.x = _data(n, dtype)
        self.y = np.empty_like(self.x)
        fwht(self.x, out=self.y)

    def time_fwht(self, n, dtype):
        fwht(self.x, out=self.y)

    def time_fwht_in_place(self, n, dtype):
        fwht(self.y, out=self.y)


class Fft2Yardstick:
    """pyFFTW ``fft2`` (pre-planned, FFTW_MEASURE) of the same complex array."""

    params = ([512, 1024, 2048], [1, 2])
    param_names = ["n", "threads"]
    timeout = 300

    def setup(self, n, threads):
        import pyfftw

        use_threads(threads)
        a = pyfftw.empty_aligned((n, n), complex)
        b = pyfftw.empty_aligned((n, n), complex)
        self.plan = pyfftw.FFTW(a, b, axes=(0, 1), flags=("FFTW_MEASURE",), threads=threads)
        a[...] = _data(n, "complex128")
        self.x = _data(n, "complex128")
        self.y = np.empty_like(self.x)
        fwht(self.x, out=self.y)

    def time_fft2(self, n, threads):
        self.plan.execute()

    def time_fwht_complex128(self, n, threads):
        fwht(self.x, out=self.y)


class Haar:
    """``haar`` and ``ihaar`` at full depth with ``out=`` given."""

    params = ([512, 2048], DTYPES)
    param_names = ["n", "dtype"]
    timeout = 300

    def setup(self, n, dtype):
        self.x = _data(n, dtype)
        self.c = haar(self.x)
        self.out = np.empty_like(self.x)
        ihaar(self.c, out=self.out)

    def time_haar(self, n, dtype):
        haar(self.x, out=self.out)

    def time_ihaar(self, n, dtype):
        ihaar(self.c, out=self.out)


class HaarYardstick:
    """PyWavelets wavedec2 + waverec2 (periodization, full depth) against haar + ihaar."""

    params = ([512, 2048], ["fastsparse", "pywt"])
    param_names = ["n", "which"]
    timeout = 600

    def setup(self, n, which):
        self.x = _data(n, "complex128")
        self.c = np.empty_like(self.x)
        self.z = np.empty_like(self.x)
        self.levels = n.bit_length() - 1
        if which == "pywt":
            import pywt

            def run():
                co = pywt.wavedec2(self.x, "haar", mode="periodization", level=self.levels)
                pywt.waverec2(co, "haar", mode="periodization")

        else:

            def run():
                haar(self.x, out=self.c)
                ihaar(self.c, out=self.z)

        self.run = run
        run()

    def time_haar_ihaar(self, n, which):
        self.run()
