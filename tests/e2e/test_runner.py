"""The test runner itself: a hung e2e test fails by name after its timeout,
everything it started dies with it, and the run goes on."""
import os
import subprocess
import sys
import tempfile
import time

import e2e

RUN_PY = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "run.py")

HUNG_MODULE = '''
import subprocess
import time


def test_a_hangs():
    # a child that would outlive the test if only the test's process died
    with open(PIDFILE, "w") as f:
        f.write(str(subprocess.Popen(["sleep", "1000"]).pid))
    time.sleep(1000)


def test_b_passes():
    pass


def test_c_fails():
    assert 1 == 2, "one is not two"
'''


def test_hung_test_times_out_by_name_and_the_run_goes_on():
    with tempfile.TemporaryDirectory() as d:
        pidfile = os.path.join(d, "child.pid")
        with open(os.path.join(d, "test_hang.py"), "w") as f:
            f.write(f"PIDFILE = {pidfile!r}\n" + HUNG_MODULE)
        t0 = time.monotonic()
        # the inner run is only these three tests: under check-asan the outer
        # run checks the sanitizer logs, the inner one would count them again
        env = dict(os.environ, MMSCOPE_TEST_TIMEOUT="3")
        env.pop("MMSCOPE_SANITIZER_LOGS", None)
        p = subprocess.run([sys.executable, RUN_PY, "--e2e-only", "--e2e-dir", d, e2e.BUILD],
                           capture_output=True, text=True, timeout=120, env=env)
        took = time.monotonic() - t0
        out = p.stdout
        assert p.returncode == 1, out
        assert "e2e test_hang.test_a_hangs: FAIL (" in out and "timed out after 3 s" in out, out
        assert "e2e test_hang.test_b_passes: ok" in out, out
        assert "e2e test_hang.test_c_fails: FAIL" in out and "one is not two" in out, out
        assert out.rstrip().endswith("1 passed, 2 failed"), out
        assert took < 60, took
        with open(pidfile) as f:
            child = int(f.read())
        # killed with its test (a zombie until init reaps it counts as gone)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                with open(f"/proc/{child}/stat") as f:
                    if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                        break
            except FileNotFoundError:
                break
            time.sleep(0.1)
        else:
            raise AssertionError(f"the hung test's child {child} is still running")
