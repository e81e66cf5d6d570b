"""faulttop's interactive view end to end: the real binary in a detached
tmux session (a real terminal), driven with send-keys and read back with
capture-pane. Checks that keys change the screen, that q and SIGINT quit
with status 0 within 3 s, and that the terminal is left sane."""
import os
import re
import shutil
import signal
import subprocess
import time

try:
    import e2e
except ImportError:  # run alone, outside tests/run.py
    e2e = None

HEADER = re.compile(r"^faulttop - \d\d:\d\d:\d\d ")
COLS, ROWS = 200, 50


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _faulttop():
    # tests/run.py makes e2e.BUILD absolute; on its own it is repo-relative
    build = e2e.BUILD if e2e else "build"
    return os.path.join(ROOT, build, "faulttop")


class TuiSession:
    """faulttop in its own tmux server (a private socket, no user config),
    run by bash so that after faulttop exits the pane shows its exit status
    and what stty says about the terminal it left behind."""

    def __init__(self, *args):
        if not shutil.which("tmux"):
            raise AssertionError("tmux is not installed (scripts/install-deps.sh)")
        self.sock = f"faulttop-e2e-{os.getpid()}-{time.monotonic_ns()}"
        cmd = " ".join([_faulttop(), *args])
        script = f"{cmd}; echo EXIT=$?; stty -a; sleep 120"
        self.tmux("new-session", "-d", "-s", "ft", "-x", str(COLS), "-y", str(ROWS),
                  f"bash -c '{script}'")
        self.pid = self._child_pid()

    def tmux(self, *args):
        p = subprocess.run(["tmux", "-L", self.sock, "-f", "/dev/null", *args],
                           capture_output=True, text=True, errors="replace", timeout=10)
        if p.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)} failed: {p.stderr.strip()}")
        return p.stdout

    def _child_pid(self, timeout=5):
        """faulttop's pid: the child of the pane's bash."""
        shell = int(self.tmux("display-message", "-p", "-t", "ft", "#{pane_pid}"))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with open(f"/proc/{shell}/task/{shell}/children") as f:
                    kids = f.read().split()
            except OSError:
                kids = []
            if kids:
                return int(kids[0])
            time.sleep(0.05)
        raise AssertionError("faulttop did not start")

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", "ft").split("\n")

    def keys(self, *keys):
        self.tmux("send-keys", "-t", "ft", *keys)

    def wait_for(self, pred, what, timeout=8):
        """Polls the screen until pred(lines) is true."""
        deadline = time.monotonic() + timeout
        lines = []
        while time.monotonic() < deadline:
            lines = self.screen()
            if pred(lines):
                return lines
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; screen:\n" + "\n".join(lines))

    def wait_text(self, text, timeout=8):
        return self.wait_for(lambda ls: any(text in l for l in ls), repr(text), timeout)

    def wait_header(self, timeout=15):
        """The first interval's frame: the clock line, not the placeholder."""
        return self.wait_for(lambda ls: any(HEADER.match(l) for l in ls),
                             "the faulttop header", timeout)

    def alive(self):
        try:
            with open(f"/proc/{self.pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
        except OSError:
            return False

    def wait_exit(self, timeout=3.0):
        """Asserts faulttop is gone within timeout with status 0 and that the
        terminal is back in cooked mode with echo."""
        deadline = time.monotonic() + timeout
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not self.alive(), f"faulttop still running {timeout} s later"
        lines = self.wait_text("EXIT=", timeout=3)
        text = "\n".join(lines)
        status = re.search(r"EXIT=(\d+)", text).group(1)
        assert status == "0", f"exit status {status}:\n{text}"
        self.wait_text("speed ", timeout=3)
        flags = set(" ".join(self.screen()).split())
        for flag in ("icanon", "echo", "isig", "icrnl"):
            assert flag in flags and f"-{flag}" not in flags, \
                f"terminal left with {flag} off:\n" + "\n".join(self.screen())
        assert not any(HEADER.match(l) for l in self.screen()), \
            "faulttop's screen is still shown after exit"

    def close(self):
        try:
            self.tmux("kill-server")
        except (AssertionError, subprocess.TimeoutExpired):
            pass
        # kill-server hangs up the pane; make sure nothing of ours lingers.
        deadline = time.monotonic() + 3
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        if self.alive():
            os.kill(self.pid, signal.SIGKILL)
        # tmux 3.3 leaves the socket of a killed server behind
        sock = os.path.join(os.environ.get("TMUX_TMPDIR", "/tmp"),
                            f"tmux-{os.getuid()}", self.sock)
        try:
            os.unlink(sock)
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def mode_line(lines):
    """The line under Mem avail: sampling mode, processes/threads, sort."""
    for i, l in enumerate(lines):
        if l.startswith("Mem avail"):
            return lines[i + 1]
    raise AssertionError("no Mem avail line:\n" + "\n".join(lines))


def column_header(lines):
    for l in lines:
        if re.match(r"^\s+PID COMM", l) or re.search(r"PID COMM\S*\s", l):
            return l
    raise AssertionError("no column header:\n" + "\n".join(lines))


def bottom(lines):
    text = [l for l in lines if l.strip()]
    return text[-1] if text else ""


def test_tui_header_columns_and_q_quits():
    with TuiSession() as s:
        lines = s.wait_header()
        assert any(l.startswith("Mem avail ") for l in lines), lines
        assert re.search(r"faults/s \S+  major/s \S+  SEGV \d+ \(total \d+\)  SIGBUS \d+  "
                         r"procs \d+ threads \d+", "\n".join(lines)), lines
        mode = mode_line(lines)
        assert "counts exact" in mode or "precise" in mode, mode
        hdr = column_header(lines)
        for name in ("PID", "COMM", "MINFLT/s", "MAJFLT/s"):
            assert name in hdr, hdr
        assert "q quit" in bottom(lines), bottom(lines)
        # faulttop faults itself, so it lists at least one row
        assert s.wait_for(lambda ls: any(re.match(r"^.\s*\d+ \S", l) for l in ls),
                          "a process row")
        s.keys("q")
        s.wait_exit(3.0)


def test_tui_t_toggles_threads():
    with TuiSession() as s:
        lines = s.wait_header()
        assert "processes" in mode_line(lines), mode_line(lines)
        s.keys("t")
        s.wait_for(lambda ls: "threads" in mode_line(ls), "thread mode")
        s.keys("t")
        s.wait_for(lambda ls: "processes" in mode_line(ls), "process mode again")
        s.keys("q")
        s.wait_exit(3.0)


def test_tui_sort_keys_move_and_reverse():
    with TuiSession() as s:
        lines = s.wait_header()
        before = column_header(lines)
        assert "sort minflt/s descending" in mode_line(lines), mode_line(lines)
        s.keys(">")
        lines = s.wait_for(lambda ls: "sort majflt/s" in mode_line(ls), "sort by MAJFLT/s")
        after = column_header(lines)
        assert after != before, (before, after)
        # the arrow (UTF-8 or ASCII fallback) sits right before MAJFLT/s
        assert re.search(r"(\u25bc|v)MAJFLT/s", after), after
        s.keys("r")
        lines = s.wait_for(lambda ls: "sort majflt/s ascending" in mode_line(ls), "reversed")
        assert re.search(r"(\u25b2|\^)MAJFLT/s", column_header(lines)), column_header(lines)
        s.keys("<")
        s.wait_for(lambda ls: "sort minflt/s" in mode_line(ls), "sort back on MINFLT/s")
        s.keys("s")
        s.wait_text("sort by column:")
        s.keys("rss", "Enter")
        s.wait_for(lambda ls: "sort rss descending" in mode_line(ls), "sort by RSS")
        s.keys("q")
        s.wait_exit(3.0)


def test_tui_comm_filter_prompt():
    with TuiSession() as s:
        s.wait_header()
        s.keys("/")
        lines = s.wait_text("comm contains")
        # the prompt must not stop the display (nor main draining events)
        clock = next(l for l in lines if HEADER.match(l))[:20]
        s.wait_for(lambda ls: any(HEADER.match(l) and not l.startswith(clock) for l in ls)
                   and "comm contains" in bottom(ls), "a new frame under the open prompt")
        s.keys("faulttop", "Enter")

        def rows_filtered(ls):
            names = [m.group(1) for m in (re.match(r"^.\s*\d+ (\S+)", l) for l in ls
                                          if not HEADER.match(l)) if m]
            return names and all("faulttop" in n for n in names)
        # the status line and the rows are drawn in one refresh, but tmux may
        # capture between two terminal writes: wait until both agree
        s.wait_for(lambda ls: "[comm~faulttop]" in bottom(ls) and rows_filtered(ls),
                   "the filter on the status line and only faulttop rows")
        # nothing matches: an explicit empty table
        s.keys("/")
        s.wait_text("comm contains")
        s.keys("C-u", "zzqqxx-none", "Enter")
        s.wait_text("no process matches")
        # empty clears
        s.keys("/")
        s.wait_text("comm contains")
        s.keys("C-u", "Enter")
        s.wait_for(lambda ls: "[comm~" not in bottom(ls) and "q quit" in bottom(ls),
                   "the filter cleared")
        # Esc cancels without touching the filter
        s.keys("/")
        s.wait_text("comm contains")
        s.keys("abc", "Escape")
        s.wait_for(lambda ls: "q quit" in bottom(ls) and "[comm~" not in bottom(ls),
                   "the prompt cancelled")
        s.keys("q")
        s.wait_exit(3.0)


def test_tui_pid_prompt_rejects_bad_input():
    with TuiSession() as s:
        s.wait_header()
        s.keys("p")
        s.wait_text("PIDs, comma-separated")
        s.keys("12,abc", "Enter")
        s.wait_text("not a PID: 'abc'")
        s.keys("p")
        s.wait_text("PIDs, comma-separated")
        s.keys(str(s.pid), "Enter")
        s.wait_text(f"[pid {s.pid}]")
        s.keys("q")
        s.wait_exit(3.0)


def test_tui_help_screen():
    with TuiSession() as s:
        s.wait_header()
        s.keys("h")
        lines = s.wait_text("faulttop help")
        text = "\n".join(lines)
        for key in ("quit", "reverse the sort order", "processes / threads"):
            assert key in text, text
        s.keys("x")
        s.wait_header(5)
        assert not any("faulttop help" in l for l in s.screen())
        s.keys("q")
        s.wait_exit(3.0)


def test_tui_pause_and_resize():
    with TuiSession() as s:
        s.wait_header()
        s.keys("Space")
        lines = s.wait_text("PAUSED")
        clock = next(l for l in lines if HEADER.match(l))[:20]
        time.sleep(2.2)  # two intervals: a running screen would have moved on
        assert any(l.startswith(clock) for l in s.screen()), "screen changed while paused"
        s.tmux("resize-window", "-t", "ft", "-x", "80", "-y", "20")
        lines = s.wait_for(lambda ls: len(ls) <= 21 and any(HEADER.match(l) for l in ls),
                           "a redraw at 80x20")
        assert all(len(l) <= 80 for l in lines), lines
        assert any(l.startswith(clock) for l in lines), "resize lost the paused frame"
        s.keys("Space")
        s.wait_for(lambda ls: not any("PAUSED" in l for l in ls), "PAUSED gone")
        s.keys("q")
        s.wait_exit(3.0)


def test_tui_sigint_quits_cleanly():
    with TuiSession() as s:
        s.wait_header()
        os.kill(s.pid, signal.SIGINT)
        s.wait_exit(3.0)


def test_tui_ctrl_c_quits_cleanly_from_a_prompt():
    with TuiSession() as s:
        s.wait_header()
        s.keys("/")
        s.wait_text("comm contains")
        s.keys("C-c")
        s.wait_exit(3.0)


if __name__ == "__main__":
    for name, fn in sorted(globals().items()):
        if name.startswith("test_") and callable(fn):
            t0 = time.monotonic()
            fn()
            print(f"ok {name} ({time.monotonic() - t0:.1f}s)")


def test_tui_b_shows_the_books_that_add_up():
    """'b' opens the memory screen: every bucket with its bytes, the slab
    caches, the zones; the verdict line is on the main screen too; 'b'
    returns. The buckets' shares add up to 100% (one decimal each)."""
    with TuiSession("-d", "0.5", "--mem-interval", "0.5") as s:
        s.wait_header()
        s.wait_text("memory: ")
        s.keys("b")
        def shares(lines):
            return [float(m.group(1)) for l in lines
                    for m in [re.search(r"\s(-?\d+\.\d)% ", l)] if m]

        def drawn(lines):
            return (len(shares(lines)) == 15 and any(l.startswith("zone 0 ") for l in lines)
                    and any(l.startswith("buddy 0 ") for l in lines)
                    and any(l.startswith("slab cache") for l in lines))
        lines = s.wait_for(drawn, "the books screen")
        assert any(l.startswith("unaccounted (pipes, sockets, drivers)") for l in lines), lines
        assert abs(sum(shares(lines)) - 100.0) < 15 * 0.05 + 0.01, (sum(shares(lines)), lines)
        s.keys("b")
        s.wait_for(lambda ls: any("PID COMM" in l for l in ls), "the process table again")
