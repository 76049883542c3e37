#!/usr/bin/env bash
# Mutation testing of the grading core (issue 12) with mutmut, on the fast unit tests only.
#
#   bash bench/mutation.sh            # every core module; prints the mutation score per module
#   bash bench/mutation.sh --scores   # print the scores of the last run again, run nothing
#   MUTATION_JOBS=1 bash bench/mutation.sh 'autograde.compare.*'   # only some mutants (fnmatch on names)
#
# The configuration is the [mutmut] section of setup.cfg (modules, test selection). The run happens in a
# scratch copy ($MUTATION_WORKDIR, default /tmp/autograde-mutation) so the checkout never holds mutants/,
# at the lowest CPU priority (the machine is shared). Each mutant runs only the tests that reach the
# mutated function. Survivors judged equivalent are listed in bench/mutation-equivalent.txt; the score
# counts them apart ("equivalent") and the goal is >= 80 % killed of the rest in every module.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=${MUTATION_WORKDIR:-${TMPDIR:-/tmp}/autograde-mutation}
jobs=${MUTATION_JOBS:-2}
py=$repo/.venv/bin/python

# What is mutated: whole modules, and in checks.py / keys.py / grading/resume.py only the pure functions of the core;
# the questionnaire verdict policy: the combiner's decision and safety rules, the form guards, and the parts
# of the scorer that choose the combiner and turn its output into a verdict.
default_targets=(
  'autograde.compare.*' 'autograde.values.*' 'autograde.scoring.*' 'autograde.regions.*' 'autograde.leaks.*'
  'autograde.checks.x__recordable*' 'autograde.checks.x__truth*' 'autograde.checks.x_verdicts*' 'autograde.checks.x__in_place*'
  'autograde.keys.x_current*' 'autograde.keys.x_ensure*' 'autograde.keys.x__digest*' 'autograde.keys.x_key_path*'
  'autograde.grading.resume.x_fingerprint*' 'autograde.grading.resume.x_done*'
  'autograde.quiz.combiner.*' 'autograde.quiz.guards.*'
  'autograde.quiz.scorer.x_choose_model*' 'autograde.quiz.scorer.x__fallback_score*' 'autograde.quiz.scorer.x_score_answer*'
)

scores() {
  (cd "$work" && "$py" - "$repo/bench/mutation-equivalent.txt" "${default_targets[@]}" <<'PY'
import fnmatch, json, sys
from pathlib import Path

equivalent_file, targets = Path(sys.argv[1]), sys.argv[2:]
equivalent = {line.split()[0] for line in equivalent_file.read_text().splitlines()
              if line.strip() and not line.startswith("#")} if equivalent_file.is_file() else set()
KILLED = {1, 3, 36, 24, -24, 152, 255, 37}   # a failing test, a pytest error, a timeout (mutant hangs) or a type error
NO_TEST = {5, 33}                              # no test reaches the mutated function: counted as a survivor
rows, survivors = {}, []
for meta in sorted(Path("mutants/autograde").rglob("*.py.meta")):
    module = ".".join(meta.relative_to("mutants").with_suffix("").with_suffix("").parts)
    for name, code in json.loads(meta.read_text())["exit_code_by_key"].items():
        if not any(fnmatch.fnmatch(name, t) for t in targets):
            continue
        row = rows.setdefault(module, {"killed": 0, "equivalent": 0, "survived": 0, "no test": 0, "not run": 0})
        if code is None:
            row["not run"] += 1
        elif code in KILLED:
            row["killed"] += 1
        elif name in equivalent:
            row["equivalent"] += 1
        elif code in NO_TEST:
            row["no test"] += 1
            survivors.append(name)
        else:
            row["survived"] += 1
            survivors.append(name)
if not rows:
    sys.exit("no mutation results yet: run bash bench/mutation.sh")
print(f"{'module':<22} {'mutants':>7} {'killed':>7} {'equiv':>6} {'survived':>8} {'no test':>7} {'not run':>7} {'score':>7}")
worst = 100.0
for module, r in rows.items():
    judged = r["killed"] + r["survived"] + r["no test"]
    score = 100.0 * r["killed"] / judged if judged else None
    worst = worst if score is None else min(worst, score)
    shown = "-" if score is None else f"{score:.1f}%"
    print(f"{module:<22} {sum(r.values()):>7} {r['killed']:>7} {r['equivalent']:>6} {r['survived']:>8} {r['no test']:>7} {r['not run']:>7} {shown:>7}")
print("score = killed / (killed + survived + no test); equivalent mutants (bench/mutation-equivalent.txt) are left out")
if survivors:
    print("survivors (see: cd " + str(Path.cwd()) + " && mutmut show NAME):")
    print("\n".join("  " + s for s in survivors))
print(f"lowest module score {worst:.1f}% (goal 80%)")
PY
  )
}

if [ "${1:-}" = "--scores" ]; then
  scores
  exit
fi
[ $# -gt 0 ] && targets=("$@") || targets=("${default_targets[@]}")

"$py" -c "import mutmut" 2>/dev/null || "$py" -m pip install -q "mutmut==3.8.1"
mkdir -p "$work"
# A fresh copy of what the tests read; mutants/ (mutmut's cache of results) is kept between runs, and
# mutmut re-tests a mutant whenever its function or the tests change.
for path in autograde tests source release solutions setup.cfg pyproject.toml; do
  rm -rf "${work:?}/$path"
  cp -a "$path" "$work/$path"
done
find "$work" -name __pycache__ -prune -exec rm -rf {} +
if [ "${MUTATION_FRESH:-0}" = 1 ]; then rm -rf "$work/mutants"; fi
cd "$work"
export AUTOGRADE_OFFLINE=1
start=$(date +%s)
nice -n 19 "$repo/.venv/bin/mutmut" run --max-children "$jobs" "${targets[@]}" >"$work/mutmut-run.log" 2>&1 || {
  tail -40 "$work/mutmut-run.log"; echo "mutmut failed (log: $work/mutmut-run.log)"; exit 1; }
echo "mutmut ran in $(( $(date +%s) - start )) s (log: $work/mutmut-run.log)"
scores
