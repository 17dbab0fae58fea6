"""Where the jobs run: in this process, in local worker processes, or on a Ray cluster;
:func:`run_sweep` runs what is not yet in the results file."""

from __future__ import annotations

import os
import signal
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from hbkit.errors import ConfigError
from hbkit.sweep.jobs import Job, _error_row, run_job, scenario_hash
from hbkit.sweep.spec import SweepSpec
from hbkit.sweep.store import ResultStore

__all__ = ["run_sweep", "default_workers"]


_ONE_THREAD_ENV = {
    k: "1"
    for k in (
        "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
        "VECLIB_MAXIMUM_THREADS",
        "NUMEXPR_NUM_THREADS",
    )
}


def _init_worker() -> None:
    """Start of a local worker process: Ctrl-C is the parent's business; one thread everywhere."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.update(_ONE_THREAD_ENV)
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)


def _run_serial(todo: Sequence[Job], on_row: Callable[[dict[str, Any]], None]) -> None:
    for job in todo:
        on_row(run_job(job))


def _run_local(todo: Sequence[Job], workers: int, on_row: Callable[[dict[str, Any]], None]) -> None:
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    ex = ProcessPoolExecutor(
        max_workers=workers, mp_context=mp.get_context("spawn"), initializer=_init_worker
    )
    futures = {ex.submit(run_job, job): job for job in todo}
    try:
        for fut in as_completed(futures):
            try:
                row = fut.result()
            except BrokenProcessPool as exc:
                raise RuntimeError(
                    "a sweep worker process died (out of memory, or killed); the finished rows are "
                    "kept: run the sweep again to resume"
                ) from exc
            except Exception as exc:  # e.g. a result that cannot be sent back
                row = _error_row(futures[fut], exc)
            on_row(row)
    except BaseException:
        for fut in futures:
            fut.cancel()
        for proc in list((getattr(ex, "_processes", None) or {}).values()):  # stop the running jobs now
            proc.terminate()
        ex.shutdown(wait=False, cancel_futures=True)
        raise
    ex.shutdown(wait=True)


def _run_ray(
    todo: Sequence[Job], address: str | None, workers: int | None, on_row: Callable[[dict[str, Any]], None]
) -> None:
    try:
        import ray
    except ImportError:  # pragma: no cover - depends on the install
        raise ImportError("the Ray backend needs the ray extra: pip install 'hbkit[ray]'") from None
    started = False
    if not ray.is_initialized():
        kwargs: dict[str, Any] = {
            "include_dashboard": False,
            "log_to_driver": False,
            "runtime_env": {"env_vars": dict(_ONE_THREAD_ENV)},
        }
        if address in (None, "", "local"):
            kwargs["num_cpus"] = workers
        else:
            kwargs["address"] = address
        try:
            ray.init(**kwargs)
        except Exception as exc:  # unreachable address, a runtime that did not start, ...
            where = address or "a local runtime"
            raise RuntimeError(f"could not start or reach Ray at {where}: {exc}") from exc
        started = True
    remote = ray.remote(num_cpus=1, max_retries=0)(run_job)
    pending = {remote.remote(job): job for job in todo}
    try:
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                job = pending.pop(ref)
                try:
                    row = ray.get(ref)
                except Exception as exc:  # the worker died, the node was lost, ...
                    row = _error_row(job, exc)
                on_row(row)
    except BaseException:
        for ref in pending:
            ray.cancel(ref, force=True)
        raise
    finally:
        if started:
            ray.shutdown()


def default_workers() -> int:
    """The number of CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def run_sweep(
    jobs: SweepSpec | Iterable[Job],
    path: str | os.PathLike[str] | None = None,
    backend: str = "local",
    workers: int | None = None,
    address: str | None = None,
    progress: bool = True,
    retry_errors: bool = False,
) -> list[dict[str, Any]]:
    """Run every job not yet in the results file and return the rows of all the jobs.

    :param jobs: a :class:`SweepSpec` (from :func:`load_spec`) or jobs
    :param path: the JSONL results file (default for a spec: ``runs/sweeps/<name>.jsonl``; without
        a file nothing is kept and nothing resumes)
    :param backend: ``"local"`` (worker processes) or ``"ray"``
    :param workers: local worker processes (default: the CPUs this process may use; ``1`` runs the
        jobs in this process); for ``ray`` without an address, the CPUs of the local Ray runtime
    :param address: Ray cluster address (``"auto"``, ``"HOST:PORT"``; ``None`` starts a local runtime)
    :param progress: show a tqdm progress bar
    :param retry_errors: run again the jobs recorded as failed
    :return: one row per job, in the order of ``jobs`` (see :func:`run_job`)
    :raises KeyboardInterrupt: on Ctrl-C, after stopping the workers; every finished row is kept
    """
    from tqdm.auto import tqdm

    if isinstance(jobs, SweepSpec):
        if path is None:
            path = Path("runs") / "sweeps" / f"{jobs.name}.jsonl"
        jobs = jobs.jobs()
    jobs = list(jobs)
    if backend not in ("local", "ray"):
        raise ConfigError(f"backend={backend!r} is not known; allowed: 'local', 'ray'")
    if workers is not None and int(workers) < 1:
        raise ConfigError(f"workers={workers!r} is out of range; allowed: an integer >= 1")
    unique: dict[str, Job] = {}
    for job in jobs:
        unique.setdefault(job.key, job)
    store = ResultStore(path) if path is not None else None
    if store is not None:
        store.read(repair=True)  # cut a line torn by a crash before appending after it
    results = dict(store.done(retry_errors)) if store is not None else {}
    stale = [
        key
        for key, job in unique.items()
        if key in results and results[key].get("scenario_hash") not in (None, scenario_hash(job))
    ]
    if stale:
        warnings.warn(
            f"{path}: {len(stale)} row(s) were computed on a scenario file edited since; "
            "running those jobs again",
            stacklevel=2,
        )
        for key in stale:
            del results[key]
    todo = [job for key, job in unique.items() if key not in results]
    bar = tqdm(
        total=len(unique), initial=len(unique) - len(todo), desc="sweep", unit="job", disable=not progress
    )
    failed = 0

    def on_row(row: dict[str, Any]) -> None:
        nonlocal failed
        if store is not None:
            store.append(row)
        results[row["key"]] = row
        failed += row["status"] != "ok"
        bar.update(1)
        if failed:
            bar.set_postfix(failed=failed, refresh=False)

    try:
        if todo:
            n = min(int(workers or default_workers()), len(todo))
            if backend == "ray":
                _run_ray(todo, address, workers, on_row)
            elif n <= 1:
                _run_serial(todo, on_row)
            else:
                _run_local(todo, n, on_row)
    finally:
        bar.close()
    return [results[job.key] for job in jobs]
