"""The Dask worker plugin of ``reconstruct_batch``: compile the batch's kernels at start-up.

Imported only with ``distributed`` (by ``fastsparse.parallel``'s Dask backend).
"""

from __future__ import annotations

import asyncio
import logging

from distributed.diagnostics.plugin import WorkerPlugin

__all__ = ["CompileKernels"]

logger = logging.getLogger("fastsparse")


class CompileKernels(WorkerPlugin):
    """Runs ``fastsparse.compile_kernels`` once on every worker, present and joining.

    Registered under a name per setting (dtype, method, transform, threads) and idempotent,
    so a worker compiles each setting once however many batches use it. The compilation
    runs in a thread of the worker, so the worker keeps answering the scheduler meanwhile.
    A failure is logged and left to the first task (which compiles on demand).
    """

    idempotent = True

    def __init__(self, dtype: str, method: str, transform: str, threads: int):
        self.dtype, self.method, self.transform, self.threads = dtype, method, transform, threads
        self.name = f"fastsparse-compile-{dtype}-{method}-{transform}-{threads}"

    async def setup(self, worker) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self._compile)

    def _compile(self) -> None:
        from . import _threads
        from ._compile import compile_kernels

        try:
            compile_kernels(
                self.dtype,
                threads=min(self.threads, _threads._max_threads()),
                methods=[self.method],
                transforms=[self.transform],
            )
        except Exception as exc:  # noqa: BLE001 - the tasks compile on demand instead
            logger.warning("fastsparse: compiling kernels on a worker failed: %s", exc)
