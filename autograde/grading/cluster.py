"""Fan submissions out over Dask workers: a local cluster of processes (--jobs), or a running scheduler
(--scheduler) whose workers run the kit's environment and see the course folder at the same path.

The local cluster is kept for the rest of the process (closed at exit): a process that grades several
assignments (`autograde demo`) starts its workers, and their warm kernel servers, once."""
from __future__ import annotations

import atexit
import logging
import os
import uuid

from .. import course
from . import collect
from .one import Job, grade_job

KEY_PREFIX = "grade-"  # task keys are (grade-<run id>-<assignment>, <student>): one task group per run and assignment


def _local_cluster(workers: int, retries: int):
    import dask
    from dask.distributed import LocalCluster

    # one submission per worker thread at a time (run() feeds them so): a dying worker takes no queued one with it
    with dask.config.set({"distributed.scheduler.allowed-failures": retries, "distributed.scheduler.worker-saturation": 1.0}):
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                            memory_limit=0, silence_logs=logging.ERROR)


_local: dict = {}  # (most workers, retries) -> (LocalCluster, Client) of this process


def _local_client(workers: int, most: int, retries: int):
    """This process's local cluster (at most `most` worker processes, started on first use), grown to `workers`."""
    found = _local.get((most, retries))
    if found is None or found[1].status != "running" or found[0].status.name != "running":
        close_local()
        cluster = _local_cluster(workers, retries)
        found = _local[(most, retries)] = (cluster, _client(cluster))
    cluster, client = found
    if len(cluster.worker_spec) < workers:  # a run with more submissions than the last one
        cluster.scale(workers)
        try:
            client.wait_for_workers(workers, timeout=120)
        except TimeoutError:  # grade on those that started: more are handed work as they join
            pass
    return client


def _client(cluster):
    from dask.distributed import Client

    return Client(cluster)


def close_local() -> None:
    """Stop this process's local cluster (its workers and their warm servers), if one is running."""
    while _local:
        cluster, client = _local.popitem()[1]
        try:
            client.close()
        finally:
            cluster.close()


atexit.register(close_local)


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


def _feed(client, running, futures: dict, waiting: list, run_id: str) -> None:
    """Submit waiting jobs until as many are in flight as the cluster has worker threads now (at least one).

    Submissions are handed out only as threads free up: a task this small is never queued on the scheduler
    (worker-saturation applies only to large task groups), so submitting all at once would assign them to
    workers up front, and a worker that died would take its queued submissions with it."""
    room = max(1, sum(client.nthreads().values())) - len(futures)
    while waiting and room > 0:
        job = waiting.pop()
        future = client.submit(grade_job, job, key=(f"{KEY_PREFIX}{run_id}-{job.assignment}", job.student), pure=False)
        futures[future] = job
        running.add(future)
        room -= 1


def run(jobs: list[Job], scheduler: str, workers: int, retries: int, reporter) -> dict:
    """{(assignment, student): result} for every job, graded on Dask; a job whose worker died is an 'error' with the
    reason."""
    from dask.distributed import Client, as_completed
    from distributed.scheduler import KilledWorker

    if not jobs:
        return {}
    if scheduler:
        try:
            client = Client(scheduler, timeout="30s")
        except OSError as exc:
            raise course.CourseError(f"no Dask scheduler answers at {scheduler} ({exc}); start one with "
                                     "`dask scheduler`, or leave out --scheduler to grade on this machine") from None
    else:
        client = _local_client(min(workers, len(jobs)), workers, retries)
    run_id = uuid.uuid4().hex[:8]
    results, futures, waiting = {}, {}, list(reversed(jobs))
    try:
        _check_workers(client, jobs[0].root)
        running = as_completed()
        _feed(client, running, futures, waiting, run_id)
        for future in running:
            job = futures.pop(future)
            if future.status == "error":
                exc = future.exception()
                if not isinstance(exc, KilledWorker):
                    raise exc
                result = collect.failed(job.gb_cells, _died(exc, None if scheduler else retries + 1))
            else:
                result = future.result()
            results[(job.assignment, job.student)] = result
            reporter.finished(job.student, result)
            _feed(client, running, futures, waiting, run_id)
    finally:
        if futures:
            client.cancel(list(futures))
        if scheduler:
            client.close()
    return results
