"""Issue #5's artifact rows, median and p95 of every figure, ratios from the same run.

    .venv/bin/python bench/bench_artifacts.py            # 1 GiB; 1,000 files, 3 rounds (~5 min)
    .venv/bin/python bench/bench_artifacts.py --quick    # 256 MiB; 1,000 files, 1 round (~1.5 min)
    .venv/bin/python bench/bench_artifacts.py --size-mib 4096 --rtt-ms 20,0

(a) `Registry.register` of one large file (os.urandom bytes in a folder under /tmp) into a local
store, against the floor measured in the same rounds: `hashlib.sha256` over the file, then
`shutil.copyfile` once (target: register <= 2x the floor). Each round changes the file's first
bytes, so every register stores new content, and drops what the previous round stored.

(b) A model of many small files uploaded to and downloaded from the moto S3 server (in a child
process, as tests/s3server.py starts it) through the forwarder of tests/forwarder.py, which
counts the file requests open at once and can add a network round trip (`--rtt-ms`, default
20: on loopback moto spends ~5 ms of CPU on a request, which no concurrency can overlap, so
without a round trip the parallel and sequential transfers both measure moto's CPU).
Parallel is the store's default concurrency ($MODELREG_TRANSFER_CONCURRENCY, else 16),
sequential is concurrency 1 (target: parallel <= 0.25x sequential, >= 8 requests in flight).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from modelreg import Registry
from modelreg.store import open_store

TESTS = Path(__file__).resolve().parent.parent / "tests"
CHUNK = 16 << 20
FILE_PUT = r"^PUT /\S*/sha256/[0-9a-f]{64}/"
FILE_GET = r"^GET /\S*/sha256/[0-9a-f]{64}/"


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def row(label: str, values: list[float], unit: str = "s") -> None:
    print(f"  {label:<44} median {statistics.median(values):8.3f} {unit}   "
          f"p95 {p95(values):8.3f} {unit}   n={len(values)}", flush=True)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    os.sync()  # the previous round's dirty pages are not this one's cost
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


# -- (a) one large file into a local store ----------------------------------------------------


def make_big(path: Path, size: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as out:
        left = size
        while left:
            out.write(os.urandom(min(CHUNK, left)))
            left -= min(CHUNK, left)


def stamp(path: Path, n: int) -> None:
    with open(path, "r+b") as f:
        f.write(f"round {n:010d}\n".encode())


def floor(src: Path, dst: Path) -> str:
    """The least a register must do: hash the bytes once, copy them once (in the kernel)."""
    with open(src, "rb") as f:
        if hasattr(hashlib, "file_digest"):  # Python 3.11
            digest = str(hashlib.file_digest(f, "sha256").hexdigest())
        else:
            h = hashlib.sha256()
            while chunk := f.read(1 << 20):
                h.update(chunk)
            digest = h.hexdigest()
    shutil.copyfile(src, dst)
    return digest


def drop_stored(store: Path, uri: str) -> None:
    folder = store / uri
    for p in folder.rglob("*"):
        p.chmod(0o644)
    shutil.rmtree(folder)
    for extra in (f"{uri}.complete", f"{uri}.files.json"):
        (store / extra).unlink(missing_ok=True)


def make_registry(work: Path, store: Path) -> Registry:
    repo = work / "repo"
    repo.mkdir()
    for args in (["init", "-q", "-b", "main"], ["config", "user.name", "bench"],
                 ["config", "user.email", "bench@example.com"],
                 ["commit", "-q", "--allow-empty", "-m", "initial commit"]):
        subprocess.run(["git", *args], cwd=repo, check=True)
    return Registry.init(repo / "registry", store=str(store))


def bench_local(work: Path, size: int, rounds: int) -> None:
    print(f"(a) register one {size / (1 << 20):.0f} MiB file into a local store, {rounds} rounds",
          flush=True)
    src = work / "big" / "model.bin"
    make_big(src, size)
    store = work / "store"
    reg = make_registry(work, store)
    (work / "warm").mkdir()
    (work / "warm" / "w.txt").write_text("warm")
    reg.register("warm", work / "warm")  # imports and first opens are no round's cost
    copy = work / "copy.bin"
    floors: list[float] = []
    registers: list[float] = []
    for n in range(rounds):
        stamp(src, n)
        steps: list[tuple[str, Callable[[], Any]]] = [
            ("floor", partial(floor, src, copy)), ("register", partial(reg.register, "big", src))]
        for name, fn in steps if n % 2 == 0 else steps[::-1]:
            seconds, out = timed(fn)
            (floors if name == "floor" else registers).append(seconds)
            if name == "floor":
                copy.unlink()
            else:
                assert out.artifacts is not None and out.artifacts.size == size
                drop_stored(store, out.artifacts.uri)
    row("floor: sha256 + shutil.copyfile", floors)
    row("Registry.register (hash + copy + commit)", registers)
    ratio = statistics.median(registers) / statistics.median(floors)
    rate = size / statistics.median(registers) / (1 << 20)
    print(f"  register / floor = {ratio:.2f}x (target <= 2x); register {rate:.0f} MiB/s",
          flush=True)


# -- (b) many small files to and from S3 ------------------------------------------------------

CHILD = """
import json, sys
sys.path.insert(0, sys.argv[1])
from forwarder import Forwarder
from s3server import S3Server
server = S3Server()
fwd = Forwarder(server.endpoint, delay=float(sys.argv[2]))
print(json.dumps({"endpoint": fwd.endpoint, "bucket": server.new_bucket()}), flush=True)
for line in sys.stdin:
    command, _, pattern = line.strip().partition(" ")
    if command == "reset":
        fwd.reset()
        print("{}", flush=True)
    elif command == "stats":
        print(json.dumps({"max_open": fwd.max_open_matching(pattern),
                          "count": len(fwd.lines(pattern))}), flush=True)
fwd.stop()
server.stop()
"""


class Child:
    """moto and the forwarder in a process of their own: the server's CPU is not ours."""

    def __init__(self, rtt: float) -> None:
        env = {**os.environ, "AWS_EC2_METADATA_DISABLED": "true"}
        self.proc = subprocess.Popen([sys.executable, "-c", CHILD, str(TESTS), str(rtt)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     env=env)
        started = self._read()
        self.endpoint, self.bucket = started["endpoint"], started["bucket"]

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        return dict(json.loads(self.proc.stdout.readline()))

    def ask(self, line: str) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self._read()

    def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def make_small_files(folder: Path, count: int, size: int) -> None:
    folder.mkdir(parents=True)
    for i in range(count):
        sub = folder / f"shard-{i % 10}"
        sub.mkdir(exist_ok=True)
        (sub / f"part-{i:05d}.bin").write_bytes(os.urandom(size))


def transfer_round(child: Child, store: Any, src: Path, dest: Path) -> dict[str, float]:
    child.ask("reset")
    up, art = timed(lambda: store.upload(src))
    put = child.ask(f"stats {FILE_PUT}")
    child.ask("reset")
    down, _ = timed(lambda: store.download(art, dest))
    got = child.ask(f"stats {FILE_GET}")
    shutil.rmtree(dest)
    assert put["count"] >= art.file_count and got["count"] >= art.file_count, (put, got)
    return {"up": up, "down": down, "up_open": put["max_open"], "down_open": got["max_open"]}


def bench_s3(work: Path, *, count: int, size: int, rounds: int, rtt_ms: float) -> None:
    from modelreg.store.transfer import concurrency

    print(f"(b) {count:,} files of {size / 1024:.0f} KiB to and from moto S3, round trip "
          f"{rtt_ms:g} ms, {rounds} rounds", flush=True)
    src = work / f"small-{rtt_ms:g}"
    make_small_files(src, count, size)
    child = Child(rtt_ms / 1000)
    options = {"key": "bench", "secret": "bench", "skip_instance_cache": True,
               "client_kwargs": {"endpoint_url": child.endpoint}}
    results: dict[str, list[dict[str, float]]] = {"parallel": [], "sequential": []}
    try:
        for n in range(rounds):
            modes = ["parallel", "sequential"] if n % 2 == 0 else ["sequential", "parallel"]
            for mode in modes:
                (src / "shard-0" / "part-00000.bin").write_bytes(f"{mode} {n}".encode() * 512)
                store = open_store(f"s3://{child.bucket}/{mode}", base_dir=work,
                                   storage_options=options,
                                   concurrency=None if mode == "parallel" else 1)
                store.registries()  # the client and its first connection, outside the timing
                results[mode].append(transfer_round(child, store, src, work / "out"))
    finally:
        child.stop()
    print(f"  parallel = concurrency {concurrency(None)}, sequential = concurrency 1", flush=True)
    for way in ("up", "down"):
        for mode in ("parallel", "sequential"):
            values = results[mode]
            row(f"{'upload' if way == 'up' else 'download'} {mode}", [r[way] for r in values])
            row("  file requests in flight at most", [r[f"{way}_open"] for r in values], "")
        ratio = (statistics.median(r[way] for r in results["parallel"])
                 / statistics.median(r[way] for r in results["sequential"]))
        print(f"  {'upload' if way == 'up' else 'download'} parallel / sequential = "
              f"{ratio:.3f} (target <= 0.25)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="256 MiB, 1 round of (b)")
    parser.add_argument("--size-mib", type=int, default=None, help="(a): default 1024")
    parser.add_argument("--rounds", type=int, default=None, help="(a): default 5")
    parser.add_argument("--files", type=int, default=1000, help="(b): default 1000")
    parser.add_argument("--file-kib", type=int, default=4, help="(b): default 4")
    parser.add_argument("--s3-rounds", type=int, default=None, help="(b): default 3, quick 1")
    parser.add_argument("--rtt-ms", default="20", help="(b): comma-separated, default 20")
    parser.add_argument("--only", choices=["local", "s3"], default=None)
    args = parser.parse_args()
    size = (args.size_mib or (256 if args.quick else 1024)) << 20
    rounds = args.rounds or 5
    s3_rounds = args.s3_rounds or (1 if args.quick else 3)
    print(f"disk: {shutil.disk_usage('/tmp').free / (1 << 30):.1f} GiB free in /tmp", flush=True)
    if args.only != "s3" and shutil.disk_usage("/tmp").free < 3 * size:
        sys.exit(f"not enough space in /tmp for 3 x {size >> 20} MiB")
    work = Path(tempfile.mkdtemp(prefix="bench-artifacts-", dir="/tmp"))
    try:
        if args.only != "s3":
            bench_local(work, size, rounds)
        if args.only != "local":
            os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
            for rtt in args.rtt_ms.split(","):
                bench_s3(work, count=args.files, size=args.file_kib << 10, rounds=s3_rounds,
                         rtt_ms=float(rtt))
    finally:
        for p in work.rglob("*"):
            if not p.is_symlink():
                p.chmod(0o755 if p.is_dir() else 0o644)
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
