"""The docs as a reader meets them: the README a front door of at most 300
lines without dated lab notes, every relative link (and #anchor) in README.md
and docs/ resolving, the man pages naming only docs that exist, and `make
bench`'s figures reaching docs/performance.md through benchlib.figures and
bench_docs (rendered and spliced into a copy, the rest of the page kept)."""
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "bench"))
import bench_docs  # noqa: E402

LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")


def _pages():
    docs = os.path.join(ROOT, "docs")
    return [os.path.join(ROOT, "README.md")] + sorted(
        os.path.join(docs, n) for n in os.listdir(docs) if n.endswith(".md"))


def _without_code(text):
    return re.sub(r"```.*?```", "", text, flags=re.S)


def _anchors(path):
    """GitHub's heading ids: lower case, punctuation but - and _ dropped,
    spaces to -."""
    with open(path) as f:
        heads = re.findall(r"^#+\s+(.*)$", _without_code(f.read()), re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in heads}


def test_readme_is_a_front_door():
    with open(os.path.join(ROOT, "README.md")) as f:
        text = f.read()
    lines = text.count("\n")
    assert lines <= 300, f"README.md is {lines} lines"
    dated = re.findall(r"20\d\d-\d\d-\d\d[^\n]*UTC|\bUTC, load average", text)
    assert not dated, f"dated lab notes in README.md: {dated[:3]}"
    for cmd in ("faulttop", "leaksnoop -p", "leaksnoop --", "make test"):
        assert cmd in text, f"README.md never shows {cmd!r}"


def test_every_relative_link_resolves():
    bad = []
    for page in _pages():
        with open(page) as f:
            text = _without_code(f.read())
        for target in LINK.findall(text):
            if re.match(r"[a-z]+:", target):
                continue                       # http:, mailto:
            path, _, anchor = target.partition("#")
            dest = os.path.normpath(os.path.join(os.path.dirname(page), path)) if path else page
            if not os.path.exists(dest):
                bad.append(f"{os.path.relpath(page, ROOT)}: {target} (no such file)")
            elif anchor and dest.endswith(".md") and anchor not in _anchors(dest):
                bad.append(f"{os.path.relpath(page, ROOT)}: {target} (no such heading)")
    assert not bad, "broken links:\n" + "\n".join(bad)


def test_man_pages_name_docs_that_exist():
    for man in ("faulttop.8", "leaksnoop.8"):
        with open(os.path.join(ROOT, "man", man)) as f:
            named = set(re.findall(r"docs/([\w.-]+\.md)", f.read()))
        assert named, f"man/{man} points at no doc"
        missing = [n for n in named if not os.path.exists(os.path.join(ROOT, "docs", n))]
        assert not missing, f"man/{man} names missing docs: {missing}"


def test_bench_figures_reach_performance_md():
    """A benchmark's table goes through benchlib.figures into the run's
    record; bench_docs renders it with the machine once and splices it
    between the markers of a copy of docs/performance.md."""
    with tempfile.TemporaryDirectory() as tmp:
        record = os.path.join(tmp, "figures.jsonl")
        code = ("import benchlib\n"
                "benchlib.table('toy loop', 'ns per op', "
                "{'untraced': [10, 11, 12], 'traced': [20, 22, 24]}, ['untraced'])\n")
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           cwd=os.path.join(ROOT, "tests", "bench"),
                           env=dict(os.environ, MMSCOPE_BENCH_RECORD=record))
        assert p.returncode == 0, p.stderr
        assert "| traced | 20.0 / 22.0 / 24.0 | 2.00x |" in p.stdout, p.stdout
        recs = bench_docs.read_records(record)
        assert len(recs) == 1 and recs[0]["rows"][1][:2] == ["traced", "20.0 / 22.0 / 24.0"], recs
        machine = bench_docs.Machine()
        machine.finish()
        text = bench_docs.render(recs, machine)
        assert text.count("Measured ") == 1 and "toy loop, 3 interleaved rounds" in text, text
        page = os.path.join(tmp, "performance.md")
        with open(os.path.join(ROOT, "docs", "performance.md")) as f:
            orig = f.read()
        with open(page, "w") as f:
            f.write(orig)
        bench_docs.splice(page, text)
        with open(page) as f:
            new = f.read()
        head = orig[:orig.index(bench_docs.BEGIN)]
        assert new.startswith(head), "the text above the figures changed"
        inside = new[new.index(bench_docs.BEGIN):new.index(bench_docs.END)]
        assert "| traced | 20.0 / 22.0 / 24.0 | 2.00x |" in inside
        assert "bench_faulttop" not in inside, "the old figures were kept"
        json.dumps(recs)
