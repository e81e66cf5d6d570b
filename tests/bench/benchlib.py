"""What the benchmarks share: interleaved rounds, and figures with their
spread. On these machines (2 cores shared with other jobs) wall-clock ratios
swing by +-30% between runs, so the benchmarks measure what a tracer adds to
the workload's own CPU time (the workload reads CLOCK_PROCESS_CPUTIME_ID
around its loop: probes that run in its context are charged to it, other
processes are not), print min/median/max per configuration, and say when the
spread is wider than the effect rather than print a ratio that means
nothing."""
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


def table(title, unit, results, baselines, fmt="{:.1f}"):
    """Prints min/median/max per configuration and its ratio to each named
    baseline (e.g. untraced, a peer)."""
    print(f"\n{title}, {len(next(iter(results.values())))} interleaved rounds "
          f"({unit}: min / median / max):")
    for name, vals in results.items():
        figs = " / ".join(fmt.format(v) for v in (min(vals), statistics.median(vals), max(vals)))
        ratios = "   ".join(f"vs {b}: {compare(vals, results[b])}"
                           for b in baselines if b != name and b in results)
        print(f"  {name:34s} {figs:>28s}   {ratios}")
