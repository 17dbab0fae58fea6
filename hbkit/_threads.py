"""Keep NumPy's BLAS on one thread inside hbkit's hot loops.

hbkit's matrices are small (hundreds of rollouts times tens of features). A multi-threaded BLAS
gains nothing on them and loses badly when the other cores are busy: on a 2-core machine with one
core taken, 30 HBPO iterations took 19.5 s with two OpenBLAS threads and 1.7 s with one. The
training and evaluation loops therefore run under :func:`one_blas_thread`; the limit is lifted when
they return, so the rest of the user's process is untouched.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Limit BLAS (OpenBLAS, MKL, ...) to one thread for the duration of the block."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


def on_one_blas_thread(fn: F) -> F:
    """Decorator: run ``fn`` under :func:`one_blas_thread`."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with one_blas_thread():
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
