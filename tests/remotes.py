"""Shared builders for the remote tests: a registry on a bare remote, clones of it, a push
path through a wrapper that can move the remote first or drop the answer, a local forge."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from helpers import git_out, init_registry, make_model

GITHUB_URL = "https://github.com/acme/models.git"

# Serves `git-upload-pack` / `git-receive-pack` for the remote at argv[2]. In the control
# folder argv[3]: `before-once` holds a shell command run once before a push is served (the
# remote moves under the pusher's feet), `before-always` one run before every push, and
# `cut` makes it apply the push and then hang up before the status report (a lost answer).
WRAPPER = r'''
import os, subprocess, sys, threading
from pathlib import Path

service, repo, control = sys.argv[1], sys.argv[2], Path(sys.argv[3])
env = {k: v for k, v in os.environ.items()
       if not k.startswith("GIT_") or k.startswith(("GIT_CONFIG", "GIT_AUTHOR", "GIT_COMMITTER"))}
name = service.removeprefix("git-")
if name == "receive-pack":
    for marker, once in (("before-once", True), ("before-always", False)):
        path = control / marker
        if path.exists():
            command = path.read_text()
            if once:
                path.unlink()
            subprocess.run(command, shell=True, env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(control / "pushes", "a") as log:
        log.write("push\n")
if name != "receive-pack" or not (control / "cut").exists():
    os.execvpe("git", ["git", name, repo], env)
proc = subprocess.Popen(["git", name, repo], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                        env=env)
out = sys.stdout.buffer
while True:  # relay the ref advertisement, pkt-line by pkt-line, up to the flush
    head = proc.stdout.read(4)
    out.write(head)
    if head in (b"0000", b""):
        break
    out.write(proc.stdout.read(int(head, 16) - 4))
out.flush()

def pump():
    try:
        while chunk := os.read(0, 65536):
            proc.stdin.write(chunk)
            proc.stdin.flush()
        proc.stdin.close()
    except OSError:
        pass

threading.Thread(target=pump, daemon=True).start()
proc.stdout.read()  # the status report: withheld
proc.wait()
os._exit(0)  # the connection ends without an answer
'''


@dataclass
class Shared:
    """A registry (folder `registry` of the repository) pushed to the bare `remote`."""

    root: Path
    remote: Path
    store: Path
    control: Path

    def clone(self, name: str, *, github: bool = False, wrapped: bool = False) -> Path:
        """A clone; `github` names the remote by a GitHub URL (rewritten to the bare path);
        `wrapped` sends its pushes through the wrapper (see WRAPPER)."""
        path = self.root / name
        git_out(self.root, "clone", "-q", str(self.remote), str(path))
        if github:
            git_out(path, "remote", "set-url", "origin", GITHUB_URL)
            git_out(path, "config", f"url.{self.remote}.insteadOf", GITHUB_URL)
        if wrapped:
            script = self.root / "wrapper.py"
            script.write_text(WRAPPER)
            command = f"ext::{sys.executable} {script} %S {self.remote} {self.control}"
            git_out(path, "config", "protocol.ext.allow", "always")
            git_out(path, "remote", "set-url", "--push", "origin", command)
        return path

    def remote_log(self, ref: str = "main") -> list[str]:
        return git_out(self.remote, "log", "--format=%s", ref).splitlines()

    def tip(self, ref: str = "main") -> str:
        return git_out(self.remote, "rev-parse", ref).strip()

    def pushes(self) -> int:
        log = self.control / "pushes"
        return len(log.read_text().splitlines()) if log.exists() else 0


def make_shared(tmp_path: Path, repo: Path, bare_remote: Path) -> Shared:
    store = tmp_path / "store"
    reg = init_registry(repo, store=str(store))
    reg.register("fraud", make_model(tmp_path / "m1", "weights v1\n"), options=metrics(0.91))
    git_out(repo, "remote", "add", "origin", str(bare_remote))
    git_out(repo, "push", "-q", "origin", "main")
    control = tmp_path / "control"
    control.mkdir()
    return Shared(root=tmp_path, remote=bare_remote, store=store, control=control)


def metrics(auc: float, **tags: str) -> Any:
    from modelreg import RegisterOptions

    return RegisterOptions(metrics={"auc": auc, "f1": round(auc - 0.1, 3)}, tags=tags)


def run_git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env=os.environ.copy())


# ---------------------------------------------------------------- a local forge


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Forge:
    """GitHub's REST API as far as modelreg uses it: canned answers by (method, path), each a
    list served in turn (the last one repeats); every request is kept in `seen`."""

    answers: dict[tuple[str, str], list[tuple[int, Any]]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    url: str = ""

    def answer(self, method: str, path: str, *replies: tuple[int, Any]) -> None:
        self.answers[(method, path)] = list(replies)

    def reply(self, method: str, path: str) -> tuple[int, Any]:
        queue = self.answers.get((method, path))
        if not queue:
            return 404, {"message": "Not Found"}
        return queue.pop(0) if len(queue) > 1 else queue[0]


def serve_forge() -> Iterator[Forge]:
    forge = Forge()

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            forge.seen.append(Seen(self.command, self.path,
                                   {k.lower(): v for k, v in self.headers.items()},
                                   json.loads(raw) if raw else None))
            status, data = forge.reply(self.command, self.path)
            payload = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    forge.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield forge
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
