"""Fan submissions out over Dask workers: a local cluster of processes (--jobs), or a running scheduler
(--scheduler) whose workers run the kit's environment and see the course folder at the same path."""
from __future__ import annotations

import logging
import os
import uuid

from .. import course
from . import collect
from .one import Job, grade_job

KEY_PREFIX = "grade-"  # task keys are grade-<student>-<run id>


def _local_cluster(workers: int, retries: int):
    import dask
    from dask.distributed import LocalCluster

    # one submission per worker at a time: a worker that dies takes no queued submission with it
    with dask.config.set({"distributed.scheduler.allowed-failures": retries, "distributed.scheduler.worker-saturation": 1.0}):
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                            memory_limit=0, silence_logs=logging.ERROR)


def _check_workers(client, root) -> None:
    """Every worker must see the course folder at the same path (a shared file system)."""
    seen = client.run(os.path.isdir, str(root))
    blind = sorted(worker for worker, ok in seen.items() if not ok)
    if not seen:
        raise course.CourseError("the Dask scheduler has no workers; start some with `dask worker ADDRESS` "
                                 "(see README, Grading a class)")
    if blind:
        raise course.CourseError(f"Dask workers {', '.join(blind)} do not see the course folder {root}; mount it "
                                 "at the same path on every worker machine")


def _died(exc: BaseException, tries: int | None) -> str:
    told = f"{tries} tries; " if tries else ""
    return (f"the grading worker died while grading this submission ({told}{type(exc).__name__}: "
            f"{str(exc)[:200]}); the others were graded. Grade it again alone (--jobs 1) to see why")


def run(jobs: list[Job], scheduler: str, workers: int, retries: int, reporter) -> dict:
    """{student: result} for every job, graded on Dask; a job whose worker died is an 'error' with the reason."""
    from dask.distributed import Client, as_completed
    from distributed.scheduler import KilledWorker

    if not jobs:
        return {}
    cluster = None
    if scheduler:
        try:
            client = Client(scheduler, timeout="30s")
        except OSError as exc:
            raise course.CourseError(f"no Dask scheduler answers at {scheduler} ({exc}); start one with "
                                     "`dask scheduler`, or leave out --scheduler to grade on this machine") from None
    else:
        cluster = _local_cluster(min(workers, len(jobs)), retries)
        client = Client(cluster)
    run_id = uuid.uuid4().hex[:8]
    results, futures = {}, {}
    try:
        _check_workers(client, jobs[0].root)
        for job in jobs:
            futures[client.submit(grade_job, job, key=f"{KEY_PREFIX}{job.student}-{run_id}", pure=False)] = job
        for future in as_completed(futures):
            job = futures[future]
            if future.status == "error":
                exc = future.exception()
                if not isinstance(exc, KilledWorker):
                    raise exc
                result = collect.failed(job.gb_cells, _died(exc, None if scheduler else retries + 1))
            else:
                result = future.result()
            results[job.student] = result
            reporter.finished(job.student, result)
    finally:
        client.cancel(list(futures))
        client.close()
        if cluster is not None:
            cluster.close()
    return results
