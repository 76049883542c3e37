"""Grading settings (issue 10): one set of defaults, nbgrader_config.py and the command line reach the right
places, --check-timeout leaves the questionnaire limit alone, and nothing travels through os.environ."""
import pytest
from nbformat.v4 import new_notebook
from traitlets.config import Config

from autograde import cli, quizgrade
from autograde.nbsteps import SaveTypedGrades
from autograde.quiz import runner
from autograde.settings import GradingSettings


def config(**sections) -> Config:
    return Config({name: dict(values) for name, values in sections.items()})


def test_every_setting_is_documented_and_has_one_default():
    settings = GradingSettings()
    for name in settings.trait_names(config=True):
        assert settings.traits()[name].help, f"GradingSettings.{name} has no help="
    assert settings.values() == GradingSettings.from_values(settings.values()).values()
    assert settings.check_timeout == 20.0 and settings.quiz_code_timeout == 20.0 and settings.cell_timeout == 600
    assert settings.jobs == 0 and settings.workers() >= 1 and settings.sandbox == "require"


def test_config_file_values_then_command_line_values_win():
    base = config(Execute={"timeout": 123}, GradingSettings={"jobs": 3, "check_timeout": 9.0})
    settings = GradingSettings.from_config(base)
    assert (settings.cell_timeout, settings.jobs, settings.check_timeout, settings.workers()) == (123, 3, 9.0, 3)
    own = GradingSettings.from_config(config(Execute={"timeout": 123}, GradingSettings={"cell_timeout": 77}))
    assert own.cell_timeout == 77                      # the kit's own setting beats nbgrader's Execute.timeout
    given = GradingSettings.from_config(base, jobs=1, check_timeout=None, db_url="postgresql://u@h/db")
    assert (given.jobs, given.check_timeout, given.db_url) == (1, 9.0, "postgresql://u@h/db")  # None: not given
    assert base.GradingSettings.jobs == 3                # the loaded config is not changed


def test_check_timeout_reaches_the_kernel_and_leaves_the_questionnaire_limit_alone(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\nc.Execute.timeout = 321\n"
                                                 "c.GradingSettings.quiz_code_timeout = 15.0\n")
    args = cli.build_parser().parse_args(["grade", "toy", "--check-timeout", "3", "--jobs", "2", "--sandbox", "off",
                                          "--db", "sqlite:////tmp/x.db", "--scheduler", "tcp://h:8786"])
    settings = cli.settings_from_args(tmp_path, args)
    found = settings.nbgrader_overrides()
    assert found["SandboxedExecute.check_timeout"] == 3.0 and found["SandboxedExecute.timeout"] == 321
    assert found["SaveTypedGrades.quiz_code_timeout"] == 15.0            # from the config file, not --check-timeout
    assert found["SandboxedExecute.sandbox"] == found["SaveTypedGrades.quiz_sandbox"] == "off"
    assert found["CourseDirectory.db_url"] == "sqlite:////tmp/x.db"
    assert (settings.jobs, settings.scheduler) == (2, "tcp://h:8786")
    assert not any(key.startswith(("Execute.", "os.")) for key in found)
    limits = {k.split(".")[1]: v for k, v in found.items() if k.startswith("SandboxedExecute.")}
    assert limits["memory_mb"] == settings.memory_mb and limits["wall_seconds"] == settings.wall_seconds
    args = cli.build_parser().parse_args(["grade", "toy", "--quiz-code-timeout", "4"])
    assert cli.settings_from_args(tmp_path, args).nbgrader_overrides()["SaveTypedGrades.quiz_code_timeout"] == 4.0


def test_a_bad_setting_is_an_error_naming_it(tmp_path, monkeypatch, capsys):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    (tmp_path / "source" / "toy").mkdir(parents=True)
    (tmp_path / "source" / "toy" / "toy.ipynb").write_text("{}")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["grade", "toy", "--jobs", "-2"]) == 1
    assert "jobs" in capsys.readouterr().err


class Seen(Exception):
    """Stops the grading step once it has handed its settings on."""


def test_save_typed_grades_hands_its_traits_to_the_questionnaire_runner(monkeypatch):
    seen = {}

    def companions(nb, timeout=None, sandbox_mode=None):
        seen.update(timeout=timeout, sandbox_mode=sandbox_mode)
        raise Seen

    monkeypatch.setattr(quizgrade, "companions", companions)
    resources = {"nbgrader": {"assignment": "a", "notebook": "n", "student": "s"}}
    step = SaveTypedGrades(config=config(SaveTypedGrades={"quiz_code_timeout": 7.0, "quiz_sandbox": "off"}))
    with pytest.raises(Seen):
        step.preprocess(new_notebook(), resources)
    assert seen == {"timeout": 7.0, "sandbox_mode": "off"}
    with pytest.raises(Seen):
        SaveTypedGrades().preprocess(new_notebook(), resources)
    assert seen == {"timeout": None, "sandbox_mode": None}   # not set: the runner's own defaults


def test_the_runner_uses_the_values_it_is_given_over_the_environment(monkeypatch):
    seen = []
    monkeypatch.setattr(runner, "_run_batch", lambda items, per, mode=None: seen.append((per, mode)) or
                        [{"ok": True} for _ in items])
    monkeypatch.setenv(runner.SANDBOX_ENV, "require")
    monkeypatch.setenv(runner.CODE_TIMEOUT_ENV, "99")
    runner.prerun_reports([("x = 1", {})], timeout=7.0, sandbox_mode="off")
    assert seen[-1] == (7.0, "off")
    assert runner._sandbox_mode("off") == "off" and runner._sandbox_mode() == "require"
    runner.run_many([("x = 1", {})])
    assert seen[-1] == (99.0, None)                         # standalone use: the environment's defaults


@pytest.mark.parametrize("url, ours", [(None, True), ("", True), ("sqlite:///{root}/gradebook.db", True),
                                       ("sqlite:///{root}/gradebook.db?timeout=300", True),
                                       ("sqlite:////elsewhere/gradebook.db", False), ("postgresql://u@h/db", False)])
def test_only_the_course_gradebook_is_checked_as_a_file(tmp_path, url, ours):
    from autograde import course

    assert course.is_course_gradebook(tmp_path, url and url.format(root=tmp_path)) is ours


def test_the_course_gradebook_is_the_default_and_the_config_file_may_name_another(tmp_path):
    from autograde import course

    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    assert course.load_config(tmp_path).CourseDirectory.db_url == course.default_db_url(tmp_path)
    assert "timeout=" in course.default_db_url(tmp_path)     # parallel writers wait for each other
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.db_url = 'postgresql://u@h/db'\n")
    assert course.load_config(tmp_path).CourseDirectory.db_url == "postgresql://u@h/db"


def test_an_unreachable_database_is_an_error_naming_the_fix():
    from autograde import course

    with pytest.raises(course.CourseError, match="cannot be reached.*start the server"):
        course.check_database("postgresql://nobody@/none?host=/nonexistent-socket-dir")
    with pytest.raises(course.CourseError, match="not a database URL"):
        course.check_database("not a url")


def test_kernels_share_the_cores_among_local_workers():
    from autograde.settings import GradingSettings, _cores

    assert GradingSettings.from_values({"jobs": 1}).nbgrader_overrides()["SandboxedExecute.kernel_threads"] == _cores()
    many = GradingSettings.from_values({"jobs": 2 * _cores()})
    assert many.nbgrader_overrides()["SandboxedExecute.kernel_threads"] == 1
    assert GradingSettings.from_values({"jobs": 2, "kernel_threads": 3}).threads_per_kernel() == 3
    assert GradingSettings.from_values({"jobs": 2, "scheduler": "tcp://h:8786"}).threads_per_kernel() == 0
