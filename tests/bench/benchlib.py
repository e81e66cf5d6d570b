"""What the benchmarks share: interleaved rounds, and figures with their
spread. On these machines (2 cores shared with other jobs) wall-clock ratios
swing by +-30% between runs, so the benchmarks measure what a tracer adds to
the workload's own CPU time (the workload reads CLOCK_PROCESS_CPUTIME_ID
around its loop: probes that run in its context are charged to it, other
processes are not), print min/median/max per configuration, and say when the
spread is wider than the effect rather than print a ratio that means
nothing."""
import json
import os
import statistics
import sys

ROUNDS = 8


def interleaved(configs, measure, rounds=ROUNDS, title=""):
    """configs: [(name, spec)]. measure(spec) -> one number. Every round runs
    every configuration once, so that drift hits them all alike. Returns
    {name: [values]} in the configs' order."""
    results = {name: [] for name, _ in configs}
    for r in range(rounds):
        for name, spec in configs:
            results[name].append(measure(spec))
        print(f"  {title}: round {r + 1}/{rounds} done", file=sys.stderr, flush=True)
    return results


def spread(values):
    """(max - min) / median: how far apart the rounds of one configuration are."""
    med = statistics.median(values)
    return (max(values) - min(values)) / med if med else float("inf")


def compare(values, base):
    """The ratio of medians values/base as text, or why there is none: when
    the two configurations' spreads overlap more than the effect, the ratio
    is noise and the text says so."""
    mv, mb = statistics.median(values), statistics.median(base)
    if not mb:
        return "n/a"
    ratio = mv / mb
    noise = max(spread(values), spread(base)) / 2
    if abs(ratio - 1) <= noise:
        return f"~1 (effect {100 * (ratio - 1):+.0f}% < spread +-{100 * noise:.0f}%)"
    return f"{ratio:.2f}x"


def mmm(values, fmt="{:.1f}"):
    """min / median / max of one configuration's rounds, as text."""
    return " / ".join(fmt.format(v) for v in (min(values), statistics.median(values), max(values)))


def figures(title, columns, rows, note=""):
    """One table of figures: printed as Markdown, ready to paste, and kept
    in the run's record (MMSCOPE_BENCH_RECORD, set by bench.py), from which
    `make bench-docs` writes docs/performance.md's figures. Every figure a
    benchmark reports goes through here, so the docs are never edited by hand."""
    rows = [[str(c) for c in r] for r in rows]
    print(f"\n{title}\n")
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for r in rows:
        print("| " + " | ".join(r) + " |")
    if note:
        print(f"\n{note}")
    sys.stdout.flush()
    record = os.environ.get("MMSCOPE_BENCH_RECORD")
    if record:
        with open(record, "a") as f:
            f.write(json.dumps({"bench": os.path.basename(sys.argv[0]), "title": title,
                                "columns": columns, "rows": rows, "note": note}) + "\n")


def table(title, unit, results, baselines, fmt="{:.1f}"):
    """Figures of interleaved rounds: min/median/max per configuration and
    its ratio to each named baseline (e.g. untraced, a peer)."""
    rounds = len(next(iter(results.values())))
    cols = ["configuration", f"{unit}, min / median / max"] + [f"vs {b}" for b in baselines]
    rows = [[name, mmm(vals, fmt)] +
            [compare(vals, results[b]) if b != name and b in results else "" for b in baselines]
            for name, vals in results.items()]
    figures(f"{title}, {rounds} interleaved rounds", cols, rows)
