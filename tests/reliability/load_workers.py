"""The load tests' workers (issue #6): one mixed workload (register, alias, tag, stage) that a
process runs through the library or through an MlflowClient, released with the others by a
barrier, recording what each change must have left in history; and the processes that move an
alias under a reader's feet. Imported by spawned processes: no pytest here."""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from helpers import make_model
from modelreg.errors import NotFound

MODEL = "load"
ALIAS = "champion"


class Done(NamedTuple):
    """One change a worker made: the `Modelreg-Op`, `Version` (0: none) and key trailers
    (`Alias`, `Tag` or `Stage`; '' for a registration) its commit must carry, the value it set,
    and the commit the library reported ('' through MLflow, which does not say)."""

    op: str
    version: int
    key: str
    value: str
    commit: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Job:
    """What one process does: `how` is 'library', 'mlflow' or 'mover'; `target` a registry
    folder or URI, or the server's URL; `each` the number of changes (movers: at most)."""

    index: int
    how: str
    target: str
    each: int
    push: bool = False
    run_id: str = ""
    scratch: str = ""


class Result(NamedTuple):
    index: int
    done: list[Done]
    retries: int
    error: str


# ---------------------------------------------------------------- the mixed workload


class LibraryClient:
    """The workload's four kinds of change through `modelreg.Registry` (direct or `push`)."""

    def __init__(self, job: Job) -> None:
        from modelreg import Registry

        self.reg = Registry(job.target, actor=f"worker-{job.index}@example.com", push=job.push)
        self.folder = Path(job.scratch) / f"model-{job.index}"
        self.retries = 0

    def _landed(self) -> str:
        write = self.reg.last_write
        self.retries += write.retries
        return str(write.commit)

    def register(self, content: str) -> tuple[int, str]:
        files = {"model.bin": content, "config/params.txt": f"{len(content)}\n"}
        mv = self.reg.register(MODEL, make_model(self.folder, files=files))
        return mv.version, self._landed()

    def alias(self, alias: str, version: int) -> str:
        self.reg.set_registered_model_alias(MODEL, alias, version)
        return self._landed()

    def version_tag(self, version: int, key: str, value: str) -> str:
        self.reg.set_model_version_tag(MODEL, version, key, value)
        return self._landed()

    def model_tag(self, key: str, value: str) -> str:
        self.reg.set_registered_model_tag(MODEL, key, value)
        return self._landed()

    def stage(self, version: int, stage: str) -> str:
        self.reg.transition_model_version_stage(MODEL, version, stage)
        return self._landed()


class RestClient:
    """The same changes through MLflow's REST API (`mlflow server` over modelreg)."""

    def __init__(self, job: Job) -> None:
        from mlflow import MlflowClient

        self.mc = MlflowClient(tracking_uri=job.target, registry_uri=job.target)
        self.source, self.run_id = f"runs:/{job.run_id}/model", job.run_id
        self.retries = 0

    def register(self, content: str) -> tuple[int, str]:
        mv = self.mc.create_model_version(MODEL, self.source, run_id=self.run_id,
                                          description=content)
        return int(mv.version), ""

    def alias(self, alias: str, version: int) -> str:
        self.mc.set_registered_model_alias(MODEL, alias, str(version))
        return ""

    def version_tag(self, version: int, key: str, value: str) -> str:
        self.mc.set_model_version_tag(MODEL, str(version), key, value)
        return ""

    def model_tag(self, key: str, value: str) -> str:
        self.mc.set_registered_model_tag(MODEL, key, value)
        return ""

    def stage(self, version: int, stage: str) -> str:
        self.mc.transition_model_version_stage(MODEL, str(version), stage)
        return ""


def workload(client: Any, index: int, each: int) -> Iterator[Done]:
    """`each` changes in cycles of four: register a version; point alias `w<index>` at it;
    tag it (even cycles: a version tag; odd: a model tag, which races every registration's
    `model.yaml`); move it to Staging (even cycles) or Production (odd). Every change leaves
    a distinct trace, so a lost or doubled one shows in history and in the final state."""
    latest = 0
    for step in range(each):
        cycle, kind = divmod(step, 4)
        value = f"w{index}-s{step}"
        if kind == 0:
            latest, commit = client.register(f"worker {index} step {step}\n")
            yield Done("version-create", latest, "", "", commit)
        elif kind == 1:
            yield Done("alias-set", latest, f"w{index}", "", client.alias(f"w{index}", latest))
        elif kind == 2 and cycle % 2 == 0:
            commit = client.version_tag(latest, "step", value)
            yield Done("version-tag-set", latest, "step", value, commit)
        elif kind == 2:
            key = f"w{index}-c{cycle}"
            yield Done("model-tag-set", 0, key, value, client.model_tag(key, value))
        else:
            stage = "Staging" if cycle % 2 == 0 else "Production"
            yield Done("stage-transition", latest, stage, "", client.stage(latest, stage))


CLIENTS: dict[str, Callable[[Job], Any]] = {
    "library": LibraryClient, "mlflow": RestClient, "mover": LibraryClient}


# ---------------------------------------------------------------- a mover for the reader


def mover(client: LibraryClient, job: Job, stop: Any) -> Iterator[Done]:
    """Until `stop` is set (or `job.each` rounds): register a version and point `champion` at
    it; then, by turns, delete the alias, or delete that version (which removes the alias in
    the same commit), or move the alias back to this process's oldest live version."""
    live: list[int] = []
    for step in range(job.each):
        if stop.is_set():
            return
        version, commit = client.register(f"mover {job.index} step {step}\n")
        live.append(version)
        yield Done("version-create", version, "", "", commit)
        yield Done("alias-set", version, ALIAS, "", client.alias(ALIAS, version))
        if step % 3 == 2:
            with contextlib.suppress(NotFound):  # the other mover may have deleted it first
                client.reg.delete_registered_model_alias(MODEL, ALIAS)
        elif step % 5 == 4:
            client.reg.delete_model_version(MODEL, live.pop())
        elif step % 4 == 3 and len(live) > 1:
            client.alias(ALIAS, live[0])


# ---------------------------------------------------------------- the process


def work(job: Job, barrier: Any, stop: Any, out: Any) -> None:
    """A spawned process: wait at the barrier with the others, run the job, report (an error
    is reported too, so the test fails with it instead of waiting for a result)."""
    try:
        client = CLIENTS[job.how](job)
        barrier.wait()
        if job.how == "mover":
            done = list(mover(client, job, stop))
        else:
            done = list(workload(client, job.index, job.each))
        out.put(Result(job.index, done, client.retries, ""))
    except BaseException:
        barrier.abort()  # the others stop waiting for this one
        out.put(Result(job.index, [], 0, traceback.format_exc()))


# ---------------------------------------------------------------- the test's side


class Gang:
    """Processes started with `spawn`, each running `work(job, ...)`; all of them (and the
    test, with `parent`) wait at one barrier, so they are released together."""

    def __init__(self, jobs: list[Job], *, parent: bool = False) -> None:
        import multiprocessing as mp

        ctx = mp.get_context("spawn")
        self.barrier = ctx.Barrier(len(jobs) + (1 if parent else 0))
        self.stop, self.out = ctx.Event(), ctx.Queue()
        self.procs = [ctx.Process(target=work, args=(job, self.barrier, self.stop, self.out))
                      for job in jobs]
        for proc in self.procs:
            proc.start()

    def results(self, timeout: float = 600) -> list[Result]:
        """Every process's result, by index; an error in any of them fails here, with it."""
        got = sorted((self.out.get(timeout=timeout) for _ in self.procs), key=lambda r: r.index)
        for proc in self.procs:
            proc.join(timeout=60)
        errors = [f"worker {r.index}:\n{r.error}" for r in got if r.error]
        assert not errors, "\n".join(errors)
        assert [p.exitcode for p in self.procs] == [0] * len(self.procs)
        return got
