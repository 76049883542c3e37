"""Auto-graded exercises and quizzes for the fastai book's core chapters."""
__version__ = "0.1.0"
