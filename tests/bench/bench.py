#!/usr/bin/env python3
"""`make bench`: every tool's benchmark, one after the other."""
import os
import subprocess
import sys

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
HERE = os.path.dirname(os.path.abspath(__file__))
rc = 0
for name in sorted(os.listdir(HERE)):
    if name.startswith("bench_") and name.endswith(".py"):
        print(f"== {name[6:-3]} ==", flush=True)
        rc |= subprocess.call([sys.executable, os.path.join(HERE, name), BUILD])
sys.exit(rc)
