"""One BLAS thread for the duration of a block of work.

gmmvc's linear algebra is many small products (``D ~ 50-100``): a threaded BLAS
gains little on them and, on a busy 2-core machine, was measured up to 20x
slower (scikit-learn's M-step, 0.85 s vs 0.044 s per component); it also makes
the last bits of a result depend on the thread count. EM, conversion and every
pipeline job therefore run with one BLAS thread and use processes or their own
threads for parallel work.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any, TypeVar, cast

F = TypeVar("F", bound=Callable[..., Any])

_controller: Any = None


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Limit BLAS/LAPACK (OpenBLAS, MKL, BLIS) to one thread inside the block.

    The limit is process-wide (threadpoolctl); the library introspection is
    done once, so entering the block costs microseconds.
    """
    global _controller
    if _controller is None:
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
    with _controller.limit(limits=1, user_api="blas"):
        yield


def single_blas_thread(func: F) -> F:
    """Decorate ``func`` to run inside :func:`one_blas_thread`."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with one_blas_thread():
            return func(*args, **kwargs)

    return cast(F, wrapper)
