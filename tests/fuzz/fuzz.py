#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Runs mmscope's libFuzzer harnesses: every <fuzz-build>/fuzz_<target> first
replays each file in tests/fuzz/regressions/<target>/ (inputs that once
crashed), then fuzzes for --seconds from a temporary copy of
tests/fuzz/corpus/<target>/ (with tests/fuzz/<target>.dict if there is
one), so the committed corpus only changes with --merge. A crash, leak,
sanitizer report or hang fails the target; its input is kept in
<fuzz-build>/artifacts/<target>/. One line per target:
"fuzz fuzz_maps: ok (123456 execs in 5s)". tests/run.py imports run_all."""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
REGRESSIONS = os.path.join(HERE, "regressions")
# A single input taking this long is a hang worth a failure.
INPUT_TIMEOUT_S = 20
RSS_LIMIT_MB = 2048


def targets(fuzz_build):
    """The fuzz_<target> binaries in fuzz_build, sorted; none if absent."""
    if not os.path.isdir(fuzz_build):
        return []
    return sorted(n for n in os.listdir(fuzz_build)
                  if n.startswith("fuzz_") and
                  os.access(os.path.join(fuzz_build, n), os.X_OK))


def files_in(d):
    if not os.path.isdir(d):
        return []
    return sorted(os.path.join(d, n) for n in os.listdir(d)
                  if os.path.isfile(os.path.join(d, n)))


def libfuzzer_flags(artifacts):
    return [f"-timeout={INPUT_TIMEOUT_S}", f"-rss_limit_mb={RSS_LIMIT_MB}",
            f"-artifact_prefix={artifacts}/", "-print_final_stats=1"]


def run(cmd, limit_s):
    """(exit status, combined output); a run past limit_s is killed."""
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, errors="replace", timeout=limit_s)
        return p.returncode, p.stdout
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else e.stdout
        return -1, (out or "") + f"\n(killed after {limit_s}s)"


def replay_regressions(binary, target, artifacts):
    """Runs each kept crasher once. Returns (ok, output)."""
    inputs = files_in(os.path.join(REGRESSIONS, target))
    if not inputs:
        return True, ""
    rc, out = run([binary] + libfuzzer_flags(artifacts) + inputs,
                  INPUT_TIMEOUT_S * len(inputs) + 60)
    return rc == 0, out


def fuzz(binary, target, seconds, artifacts, merge):
    """Fuzzes from a copy of the corpus. Returns (ok, execs, output)."""
    with tempfile.TemporaryDirectory(prefix=f"mmscope-fuzz-{target}-") as tmp:
        work = os.path.join(tmp, "corpus")
        committed = os.path.join(CORPUS, target)
        if os.path.isdir(committed):
            shutil.copytree(committed, work)
        else:
            os.makedirs(work)
        # tests/fuzz/<target>.dict: tokens compared in uninstrumented code
        extra = [f"-dict={d}" for d in [os.path.join(HERE, target + ".dict")]
                 if os.path.isfile(d)]
        rc, out = run([binary] + libfuzzer_flags(artifacts) + extra +
                      [f"-max_total_time={seconds}", work], seconds + 120)
        m = re.search(r"stat::number_of_executed_units:\s*(\d+)", out)
        execs = int(m.group(1)) if m else 0
        if rc == 0 and merge:
            os.makedirs(committed, exist_ok=True)
            mrc, mout = run([binary, "-merge=1", committed, work], seconds + 600)
            if mrc != 0:
                return False, execs, out + "\n--- merge\n" + mout
        return rc == 0, execs, out


def run_target(fuzz_build, name, seconds, merge=False):
    """Regressions, then fuzzing, of one fuzz_<target>. Returns True if ok."""
    binary = os.path.join(fuzz_build, name)
    target = name[len("fuzz_"):]
    artifacts = os.path.join(os.path.abspath(fuzz_build), "artifacts", target)
    os.makedirs(artifacts, exist_ok=True)
    ok, out = replay_regressions(binary, target, artifacts)
    if not ok:
        print(f"fuzz {name}: FAIL (a regression input crashes again)")
    else:
        ok, execs, out = fuzz(binary, target, seconds, artifacts, merge)
        if ok:
            print(f"fuzz {name}: ok ({execs} execs in {seconds}s)")
        else:
            print(f"fuzz {name}: FAIL after {execs} execs; inputs in {artifacts}/")
    if not ok:
        tail = "\n".join(out.splitlines()[-60:])
        print("    " + tail.replace("\n", "\n    "))
    sys.stdout.flush()
    return ok


def run_all(fuzz_build, seconds, merge=False):
    """Every target in fuzz_build, one test each. Returns (passed, failed)."""
    passed = failed = 0
    for name in targets(fuzz_build):
        if run_target(fuzz_build, name, seconds, merge):
            passed += 1
        else:
            failed += 1
    return passed, failed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("fuzz_build", nargs="?", default="build-fuzz")
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--merge", action="store_true",
                    help="merge new interesting inputs into the committed corpus")
    ap.add_argument("-k", dest="pattern", default="",
                    help="only targets whose name contains this")
    a = ap.parse_args()
    names = [n for n in targets(a.fuzz_build) if a.pattern in n]
    if not names:
        print(f"fuzz: no fuzz_* binaries in {a.fuzz_build} (make fuzz-build)")
        return 1
    failed = sum(not run_target(a.fuzz_build, n, a.seconds, a.merge) for n in names)
    print(f"{len(names) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
