"""The figures of one `make bench` run as Markdown: the machine and the date
once, then every table the benchmarks reported (benchlib.figures), grouped by
benchmark. splice() puts them into docs/performance.md between its markers,
so the published figures always come from one run and are never typed."""
import json
import os
import platform
import subprocess
import time

BEGIN = "<!-- bench-figures: begin (written by `make bench-docs`; do not edit by hand) -->"
END = "<!-- bench-figures: end -->"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def _git_head():
    try:
        head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        return head + (" with local changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


class Machine:
    """What the figures were measured on, taken at the start and the end."""

    def __init__(self):
        self.start = time.time()
        self.loads = [os.getloadavg()[0]]
        self.kernel = platform.release()
        self.cpus = os.cpu_count()
        self.cpu = _cpu_model()
        self.head = _git_head()

    def finish(self):
        self.end = time.time()
        self.loads.append(os.getloadavg()[0])

    def line(self):
        day = time.strftime("%Y-%m-%d %H:%M", time.gmtime(self.start))
        mins = (getattr(self, "end", self.start) - self.start) / 60
        return (f"Measured {day} UTC ({mins:.0f} min) at `{self.head}`, Linux {self.kernel}, "
                f"{self.cpus} × {self.cpu}, load average {min(self.loads):.1f}–"
                f"{max(self.loads):.1f} (1 min, at the start and the end).")


def read_records(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def _table(rec):
    out = [f"**{rec['title']}**", "", "| " + " | ".join(rec["columns"]) + " |",
           "|" + "---|" * len(rec["columns"])]
    out += ["| " + " | ".join(r) + " |" for r in rec["rows"]]
    if rec.get("note"):
        out += ["", rec["note"]]
    return "\n".join(out) + "\n"


def render(records, machine):
    parts = [machine.line(), ""]
    bench = None
    for rec in records:
        if rec["bench"] != bench:
            bench = rec["bench"]
            parts += [f"### {bench[:-3] if bench.endswith('.py') else bench}", ""]
        parts += [_table(rec)]
    return "\n".join(parts)


def splice(path, text):
    """Replaces what stands between the markers; the rest of the page stays."""
    with open(path) as f:
        doc = f.read()
    i, j = doc.find(BEGIN), doc.find(END)
    if i < 0 or j < i:
        raise SystemExit(f"{path}: no figures markers ({BEGIN!r} ... {END!r})")
    with open(path, "w") as f:
        f.write(doc[:i + len(BEGIN)] + "\n" + text.rstrip("\n") + "\n" + doc[j:])
