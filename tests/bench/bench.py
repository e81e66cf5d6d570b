#!/usr/bin/env python3
"""`make bench`: every tool's benchmark, one after the other. Each figure
they report is kept in BUILD/bench/figures.jsonl (benchlib.figures); at the
end the figures are written as Markdown, with the machine and the date once,
to BUILD/bench/performance-figures.md, and with --write-docs (`make
bench-docs`) into docs/performance.md between its figures markers."""
import argparse
import os
import subprocess
import sys

import bench_docs

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default="build")
    ap.add_argument("--write-docs", action="store_true",
                    help="replace docs/performance.md's figures with this run's")
    a = ap.parse_args()
    out = os.path.join(a.build, "bench")
    os.makedirs(out, exist_ok=True)
    record = os.path.join(out, "figures.jsonl")
    open(record, "w").close()
    env = dict(os.environ, MMSCOPE_BENCH_RECORD=os.path.abspath(record))
    machine = bench_docs.Machine()
    rc = 0
    for name in sorted(os.listdir(HERE)):
        if name.startswith("bench_") and name.endswith(".py") and name != "bench_docs.py":
            print(f"== {name[6:-3]} ==", flush=True)
            rc |= subprocess.call([sys.executable, os.path.join(HERE, name), a.build], env=env)
    machine.finish()
    text = bench_docs.render(bench_docs.read_records(record), machine)
    md = os.path.join(out, "performance-figures.md")
    with open(md, "w") as f:
        f.write(text)
    print(f"\nfigures, ready to paste: {md}")
    if a.write_docs:
        if rc:
            print("not written to docs/performance.md: a benchmark failed", file=sys.stderr)
        else:
            bench_docs.splice(os.path.join(ROOT, "docs", "performance.md"), text)
            print("written into docs/performance.md")
    return rc


if __name__ == "__main__":
    sys.exit(main())
