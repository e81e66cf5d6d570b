"""Bash completion (completion/faulttop, completion/leaksnoop): bash itself
runs the completion functions with bash-completion loaded, as it does when a
user presses Tab; the option lists are checked against each tool's --help;
`make install` puts the scripts where bash-completion looks."""
import os
import re
import subprocess
import tempfile

import e2e

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BASH_COMPLETION = "/usr/share/bash-completion/bash_completion"


def complete(tool, line):
    """COMPREPLY for the command line `line` with the cursor at its end."""
    if not os.path.exists(BASH_COMPLETION):
        raise AssertionError("bash-completion not installed (scripts/install-deps.sh installs it)")
    script = f"""
source {BASH_COMPLETION}
source {os.path.join(ROOT, "completion", tool)}
COMP_LINE=$1
COMP_POINT=${{#COMP_LINE}}
read -r -a COMP_WORDS <<< "$COMP_LINE"
[[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
_{tool} {tool} "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    p = subprocess.run(["bash", "-c", script, "complete", line], capture_output=True,
                       text=True, timeout=30, env={**os.environ, "PATH": os.environ.get("PATH", "")})
    # compopt only works under readline's completion: outside it, it says so
    errors = [e for e in p.stderr.splitlines()
              if e.strip() and "compopt: not currently executing completion function" not in e]
    assert p.returncode == 0 and not errors, (line, p.returncode, p.stderr)
    return [w for w in p.stdout.split("\n") if w]


def help_options(tool):
    """Every option --help lists (hidden ones aren't listed)."""
    out = subprocess.run([e2e.tool(tool), "--help"], capture_output=True, text=True,
                         timeout=20).stdout
    opts = set()
    for line in out.splitlines():
        m = re.match(r"^\s+((?:-\S, )?--?[\w?-]+)", line)
        if m:
            opts.update(o.strip(",") for o in m.group(1).split())
    return opts


def test_faulttop_completes_options_like_help():
    got = set(complete("faulttop", "faulttop -"))
    want = help_options("faulttop")
    assert "--listen" in want and "--top" in want, want
    assert want <= got, f"--help options the completion lacks: {sorted(want - got)}"
    assert got <= want, f"completions --help doesn't list: {sorted(got - want)}"
    assert complete("faulttop", "faulttop --li") == ["--listen"]


def test_leaksnoop_completes_options_like_help():
    got = set(complete("leaksnoop", "leaksnoop -"))
    want = help_options("leaksnoop")
    assert want <= got, f"--help options the completion lacks: {sorted(want - got)}"
    assert got - want <= {"--"}, f"completions --help doesn't list: {sorted(got - want)}"


def test_pid_completion_offers_a_live_pid():
    w = e2e.start_workload("touch_pages", 1)
    try:
        e2e.wait_stopped(w)
        pid = str(w.pid)
        for tool, line in (("faulttop", f"faulttop -p {pid[:-1]}"),
                           ("faulttop", f"faulttop --pid={pid[:-1]}"),
                           ("leaksnoop", f"leaksnoop -p {pid[:-1]}")):
            got = complete(tool, line)
            assert pid in got, (line, got[:20])
            assert all(g.startswith(pid[:-1]) for g in got), (line, got[:20])
        # the last element of a list
        got = complete("faulttop", f"faulttop -p 1,{pid[:-1]}")
        assert f"1,{pid}" in got, got[:20]
        # no such process: nothing offered
        assert complete("faulttop", "faulttop -p 99999999") == []
    finally:
        e2e.finish(w)


def test_option_values_and_command_after_dashdash():
    assert set(complete("faulttop", "faulttop -s m")) == {"minflt/s", "majflt/s", "minflt",
                                                           "majflt", "mmap/s", "map+/s"}
    assert complete("faulttop", "faulttop --top ") == []
    # after --, leaksnoop completes the command to run
    got = complete("leaksnoop", "leaksnoop -p 1 -- pytho")
    assert any(g.startswith("python3") for g in got), got


def test_make_install_puts_completions_where_bash_completion_looks():
    want_dir = subprocess.run(["pkg-config", "--variable=completionsdir", "bash-completion"],
                              capture_output=True, text=True).stdout.strip() or \
        "/usr/share/bash-completion/completions"
    with tempfile.TemporaryDirectory() as dest:
        p = subprocess.run(["make", "--no-print-directory", f"OUTPUT={os.path.relpath(e2e.BUILD, ROOT)}",
                            f"DESTDIR={dest}", "install"], cwd=ROOT, capture_output=True,
                           text=True, timeout=600)
        assert p.returncode == 0, p.stdout + p.stderr
        for tool in ("faulttop", "leaksnoop"):
            path = dest + os.path.join(want_dir, tool)
            assert os.path.isfile(path), (path, os.listdir(dest))
            with open(path) as f, open(os.path.join(ROOT, "completion", tool)) as g:
                assert f.read() == g.read()
