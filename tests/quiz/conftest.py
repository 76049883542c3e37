import os

os.environ.setdefault("AUTOGRADE_QUIZ_SEMANTIC", "0")  # tests never depend on the optional model
