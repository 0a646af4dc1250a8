"""Time ``make run``'s pipeline end to end: wall time per step, CPU time and peak memory.

    .venv/bin/python benchmarks/bench_pipeline.py [--store /tmp/bench-pipeline] [override ...]

Runs ``python -m nacarbon.pipeline`` in a child process against a fresh store (so nothing is
resumed), then prints its step timings, the children's CPU time and their peak RSS. Extra
arguments are passed to the pipeline as Hydra overrides (e.g. ``targets=[ice]``).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path


def main() -> int:
    """Run the pipeline once and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", default="/tmp/bench-pipeline", help="fresh folder for mlruns/outputs/experiments")
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args()
    store = Path(args.store)
    shutil.rmtree(store, ignore_errors=True)
    cmd = [sys.executable, "-m", "nacarbon.pipeline", f"paths.mlruns_dir={store}/mlruns",
           f"paths.output_dir={store}/outputs", f"paths.experiments_dir={store}/experiments", "progress=false",
           *args.overrides]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    load = os.getloadavg()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:], sep="\n")
        return proc.returncode
    steps = re.findall(r"^\[(\w+)\] done in ([\d.]+) s \(CPU (\d+) s\)", proc.stdout, flags=re.M)
    jobs = re.findall(r"^\[train\] (\w+)\s+(\w+)\s+(\w+)\s+RMSE .*CPU (\d+) s$", proc.stdout, flags=re.M)
    print(f"load average before: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} (2 cores)")
    print(f"pipeline wall time: {wall:.0f} s; CPU (user+sys, all processes): {usage.ru_utime + usage.ru_stime:.0f} s")
    print(f"peak RSS of the largest process: {usage.ru_maxrss / 1024:.0f} MB")
    print("steps (wall / CPU): " + ", ".join(f"{k} {float(w):.0f} / {c} s" for k, w, c in steps))
    print("training jobs by CPU seconds:")
    for plan, target, family, cpu in sorted(jobs, key=lambda j: -int(j[3])):
        print(f"  {cpu:>5s} s  {plan}/{target}/{family}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
