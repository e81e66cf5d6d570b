#!/usr/bin/env python3
"""mmscope's test runner: unit binaries, then end-to-end tests with the real
BPF programs. Prints one line per test and, last, "N passed, N failed".

End-to-end tests need root and a kernel with BTF; they are never skipped
quietly: without them every e2e test counts as failed, with the reason."""
import argparse
import importlib.util
import os
import re
import signal
import subprocess
import sys
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_units(build):
    passed = failed = 0
    tdir = os.path.join(build, "tests")
    for name in sorted(os.listdir(tdir)) if os.path.isdir(tdir) else []:
        path = os.path.join(tdir, name)
        if not name.startswith("test_") or not os.access(path, os.X_OK):
            continue
        try:
            p = subprocess.run([path], capture_output=True, text=True,
                               timeout=120, errors="replace")
            out, rc = p.stdout, p.returncode
        except subprocess.TimeoutExpired:
            out, rc = "FAIL (timeout)\n", -1
        seen = 0
        for line in out.splitlines():
            if line.startswith("ok "):
                passed += 1
                seen += 1
                print(f"unit {name}: {line}")
            elif line.startswith("FAIL"):
                failed += 1
                seen += 1
                print(f"unit {name}: {line}")
            elif line.startswith("  "):
                print(f"unit {name}: {line}")
        if rc != 0 and (seen == 0 or rc < 0):
            failed += 1
            print(f"unit {name}: FAIL exit status {rc}\n{p.stderr if rc != -1 else ''}")
    return passed, failed


def load_module(path):
    spec = importlib.util.spec_from_file_location(
        os.path.splitext(os.path.basename(path))[0], path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# Seconds one e2e test may take before it counts as hung. A module can ask
# for more with a TEST_TIMEOUT_S attribute (the soak tests, whose length is
# set by SOAK_SECONDS); MMSCOPE_TEST_TIMEOUT overrides both.
TEST_TIMEOUT_S = 300


def e2e_setup(build):
    sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
    import e2e  # noqa: E402  (the shared helpers)
    e2e.BUILD = os.path.abspath(build)
    return e2e


def run_one(build, full, edir):
    """The child side of run_e2e: runs one test, "module.function", in this
    process. Exit status 0 when it passed; a failure prints its traceback."""
    e2e_setup(build)
    name, fn_name = full.split(".", 1)
    mod = load_module(os.path.join(edir, name + ".py"))
    try:
        getattr(mod, fn_name)()
    except Exception:  # noqa: BLE001 - report every failure the same way
        print("    " + traceback.format_exc().replace("\n", "\n    "))
        sys.stdout.flush()
        return 1
    return 0


def test_timeout(mod):
    env = os.environ.get("MMSCOPE_TEST_TIMEOUT")
    if env:
        return float(env)
    return max(TEST_TIMEOUT_S, float(getattr(mod, "TEST_TIMEOUT_S", 0)))


def run_isolated(build, full, edir, timeout):
    """Runs one test in its own process (and session, so that everything it
    started can be killed with it). Returns (passed, output, how it ended)."""
    cmd = [sys.executable, os.path.abspath(__file__), "--run-one", full,
           "--e2e-dir", edir, build]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, errors="replace", start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        # the test's whole process group: the tools and workloads it ran
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, _ = p.communicate()
        return False, out, f"timed out after {timeout:.0f} s: hung"
    if p.returncode == 0:
        return True, out, ""
    if p.returncode < 0:
        return False, out, f"killed by signal {-p.returncode}"
    return False, out, ""


def run_e2e(build, pattern, edir):
    """Every test_* function of every tests/e2e/test_*.py, each in its own
    process with a timeout: a hung test fails by name and the run goes on."""
    passed = failed = 0
    e2e = e2e_setup(build)
    problem = e2e.environment_problem()
    for name in sorted(os.listdir(edir)):
        if not (name.startswith("test_") and name.endswith(".py")):
            continue
        mod = load_module(os.path.join(edir, name))
        for fn_name in sorted(n for n in dir(mod) if n.startswith("test_")):
            full = f"{name[:-3]}.{fn_name}"
            if pattern and pattern not in full:
                continue
            if problem:
                failed += 1
                print(f"e2e {full}: FAIL (cannot run: {problem})")
                continue
            t0 = time.monotonic()
            ok, out, why = run_isolated(build, full, edir, test_timeout(mod))
            dt = time.monotonic() - t0
            if ok:
                passed += 1
                sys.stdout.write(out)
                print(f"e2e {full}: ok ({dt:.1f}s)")
            else:
                failed += 1
                print(f"e2e {full}: FAIL ({dt:.1f}s{', ' + why if why else ''})")
                sys.stdout.write(out)
            sys.stdout.flush()
    return passed, failed


# Seconds each libFuzzer harness runs in the suite; `make fuzz` runs longer.
FUZZ_SECONDS = 4


def run_fuzz(build):
    """Each fuzz harness for a few seconds (tests/fuzz/fuzz.py: kept crashers
    first, then from a copy of the committed corpus), one test per target,
    when `make test` built them in <build>-fuzz. Skipped under check-asan:
    the harnesses carry their own sanitizers, so once per `make test` is
    enough, and its log_path would hide their reports."""
    fuzz_build = os.path.normpath(build) + "-fuzz"
    if os.environ.get("MMSCOPE_SANITIZER_LOGS") or not os.path.isdir(fuzz_build):
        return 0, 0
    sys.path.insert(0, os.path.join(ROOT, "tests", "fuzz"))
    import fuzz  # noqa: E402
    return fuzz.run_all(fuzz_build, FUZZ_SECONDS)


def run_lint(build):
    """`make lint` (clang-tidy and cppcheck over all C; see the Makefile) as
    one test, "lint". Skipped under check-asan: same sources, and once per
    `make test` is enough."""
    if os.environ.get("MMSCOPE_SANITIZER_LOGS"):
        return 0, 0
    out_dir = os.path.relpath(os.path.abspath(build), ROOT)
    cmd = ["make", "--no-print-directory", "-k", f"-j{os.cpu_count() or 1}",
           f"OUTPUT={out_dir}", "lint"]
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                           errors="replace", timeout=1800)
        out, rc = p.stdout + p.stderr, p.returncode
    except subprocess.TimeoutExpired:
        out, rc = "make lint timed out\n", -1
    dt = time.monotonic() - t0
    if rc == 0:
        print(f"lint: ok ({dt:.1f}s)")
        return 1, 0
    print(f"lint: FAIL ({dt:.1f}s, `make lint` exit status {rc})")
    # The findings, without make's per-file progress lines; when the
    # analyzer's paths make that long, only the finding lines themselves.
    lines = [ln for ln in out.splitlines()
             if not ln.startswith(("  TIDY ", "  CPPCHECK "))]
    if len(lines) > 300:
        lines = [ln for ln in lines if re.search(
            r": (error|warning|style|performance|portability): |^make: \*\*\*", ln)]
        lines.append("(analyzer paths and code left out: run `make lint`)")
    print("    " + "\n    ".join(lines))
    sys.stdout.flush()
    return 0, 1


def check_sanitizer_logs():
    """Under `make check-asan` every report a sanitizer wrote, from any
    process of any test, fails the run (one test: "sanitizer reports")."""
    logs = os.environ.get("MMSCOPE_SANITIZER_LOGS")
    if not logs:
        return 0, 0
    reports = sorted(os.listdir(logs)) if os.path.isdir(logs) else []
    if not reports:
        print("sanitizers: ok (no reports)")
        return 1, 0
    print(f"sanitizers: FAIL ({len(reports)} reports)")
    for name in reports:
        with open(os.path.join(logs, name), errors="replace") as f:
            print(f"--- {name}\n{f.read()[:4000]}")
    return 0, 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default="build")
    ap.add_argument("--unit-only", action="store_true")
    ap.add_argument("--e2e-only", action="store_true")
    ap.add_argument("-k", dest="pattern", default="",
                    help="run only e2e tests whose name contains this")
    ap.add_argument("--run-one", metavar="MODULE.TEST",
                    help="(internal) run one e2e test in this process")
    ap.add_argument("--e2e-dir", default=os.path.join(ROOT, "tests", "e2e"),
                    help="where the e2e test modules are (tests of the runner)")
    a = ap.parse_args()
    a.build = os.path.abspath(a.build)
    if a.run_one:
        return run_one(a.build, a.run_one, a.e2e_dir)
    passed = failed = 0
    if not a.e2e_only:
        p, f = run_units(a.build)
        passed, failed = passed + p, failed + f
        p, f = run_fuzz(a.build)
        passed, failed = passed + p, failed + f
    if not a.unit_only:
        p, f = run_e2e(a.build, a.pattern, a.e2e_dir)
        passed, failed = passed + p, failed + f
    if not a.unit_only and not a.e2e_only:
        p, f = run_lint(a.build)
        passed, failed = passed + p, failed + f
    p, f = check_sanitizer_logs()
    passed, failed = passed + p, failed + f
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
