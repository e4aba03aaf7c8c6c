"""Build the benchmark's registry in a folder and leave it there, for profiling by hand.

    .venv/bin/python bench/make_registry.py /tmp/reg100k --versions 100000

The same registry `bench_scale.py` times (see its docstring): `DIR/repo` is the Git repository,
its registry folder is `DIR/repo/registry`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_scale import build, loose_objects


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--versions", type=int, default=100_000)
    args = parser.parse_args()
    args.dir.mkdir(parents=True)
    t0 = time.perf_counter()
    repo, _, _ = build(args.dir, args.versions)
    print(f"{repo}: {args.versions} versions in {time.perf_counter() - t0:.1f} s "
          f"({loose_objects(repo)})")


if __name__ == "__main__":
    main()
