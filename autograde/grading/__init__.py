"""The grading engine, as the pipeline runs it.

batch.grade / grade_many (one run over one or several assignments: lock, plan, fan out, gather) -> resume (skip what was graded with the same notebooks and
keys) -> one.grade_one (stage, precheck, nbgrader autograde + feedback, in its own sandbox) -> collect (one
student's result, read from the gradebook). Submissions run in this process (jobs=1) or on Dask workers
(cluster.py); settings travel explicitly (autograde.settings.GradingSettings), never through os.environ.
"""
from .batch import grade, grade_many

__all__ = ["grade", "grade_many"]
