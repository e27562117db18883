"""dbt started ahead: a process that imports dbt while the run's first steps work.

Starting the dbt process and importing dbt took ~2.5 s of every nightly's dbt step
(issue #17: on a no-change S night the step took 10.9 s and dbt's own log spanned
8.3 s of it), while the steps before it (extract, landing, raw checks) keep one core
busy and leave the other mostly idle. So:

- When a run that builds dbt starts, the dbt resource (`Standby.start`, from
  `pipelines.defs.resources`) opens a listening Unix socket in a private folder and
  starts `python -m pipelines.dbt_standby` on it. That process asks to die with the
  run's process, as `trustgap-dbt` does, imports dbt with Trustgap's changes
  (`pipelines.dbt_process.load_dbt`) on a thread below the run's priority, so as to
  use the CPU the run's steps leave idle, and waits.
- dagster-dbt starts `trustgap-dbt` for the dbt step as usual, with the socket's
  path in its environment. That process (the client, `hand_over`) connects and
  hands over its command line, environment, working folder, and its stdin, stdout
  and stderr (SCM_RIGHTS). The waiting process takes them as its own and runs dbt.
  The client relays signals to it, waits until it has exited, then exits with its
  exit status. dagster-dbt sees what it saw of dbt itself: the same lines on the
  same pipe, the same exit status, and the working file unlocked once its child
  has exited.
- One command per standby. A command that comes before dbt is loaded (on a busy
  machine the import crawls), a second command, one for another project, or a
  client that finds no standby: `trustgap-dbt` runs dbt itself, as before.
- Either side's death ends the other. The standby dies with the run's process
  (PR_SET_PDEATHSIG) and kills itself when its client dies (pidfd). The client
  exits with status 1 and a message when the standby dies.

Linux only (pidfd, SCM_RIGHTS). Elsewhere, or with TRUSTGAP_DBT_START_AHEAD=off,
dbt starts in the step.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

# The client's environment names the socket; the resource sets it for one dbt command.
SOCKET_VARIABLE = "TRUSTGAP_DBT_STANDBY_SOCKET"
STDIO = (0, 1, 2)
# What dagster-dbt sends to interrupt dbt (SIGINT), what ends a process (SIGTERM,
# SIGHUP; SIGTERM is also the client's death signal when the run's process dies).
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
PEER_CREDENTIALS = struct.Struct("3i")  # struct ucred: pid, uid, gid
MAX_REQUEST = 16 * 1024 * 1024
# Longest AF_UNIX path (sun_path holds 108 bytes with its terminating NUL).
MAX_SOCKET_PATH = 107
# How much lower than the run's steps dbt's import runs: it is to use the CPU they
# leave idle, not to slow them. Beside an import at the same priority the raw steps of
# an S night took 0.3-0.5 s longer, beside this one 0.25-0.35 s, and the no-change
# night gained 0.2 s against 1.6 s (RESULTS.md "Session 17").
IMPORT_NICENESS = 10
# The standby's exit status when it ran no command (it was not loaded yet, or the
# command was another project's); EX_TEMPFAIL, which dbt does not use.
DECLINED = 75
READY = b"ready\n"


class StandbyError(RuntimeError):
    """The standby could not be started (the dbt step then starts dbt itself)."""


def supported() -> bool:
    """Whether this platform has what a standby needs (Linux: pidfd, SCM_RIGHTS)."""
    return (
        sys.platform.startswith("linux")
        and hasattr(os, "pidfd_open")
        and hasattr(socket, "send_fds")
        and hasattr(socket, "SO_PEERCRED")
    )


class Standby:
    """The run's side: one dbt process started ahead, for one dbt command."""

    def __init__(self, process: subprocess.Popen, folder: Path, path: Path) -> None:
        self.process = process
        self.folder = folder
        self.path = path
        self.handed_out = False

    @classmethod
    def start(
        cls, project_dir: Path, *, adapter: str | None = None, niceness: int = IMPORT_NICENESS
    ) -> Standby:
        """Start a dbt process for `project_dir`; `adapter` (duckdb, spark) is imported too.

        dbt is imported `niceness` below the run's priority.

        Call it from the thread that lives as long as the run (the standby dies when
        the thread that started it ends: that is what PR_SET_PDEATHSIG watches).
        """
        if not supported():
            raise StandbyError("a dbt standby needs Linux (pidfd and SCM_RIGHTS)")
        folder = Path(tempfile.mkdtemp(prefix="trustgap-dbt-"))  # private: mode 0700
        path = folder / "standby.sock"
        try:
            if len(os.fsencode(path)) > MAX_SOCKET_PATH:
                raise StandbyError(f"the socket path {path} is too long for a Unix socket")
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
                listener.bind(os.fspath(path))
                # Listening from now on: a client that comes before the standby is
                # ready waits for it (it would otherwise start dbt on its own).
                listener.listen(1)
                command = [sys.executable, "-P", "-m", "pipelines.dbt_standby"]
                command += [str(listener.fileno()), os.fspath(project_dir), adapter or ""]
                command += [str(niceness)]
                process = subprocess.Popen(
                    command,
                    pass_fds=(listener.fileno(),),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,  # READY once dbt is loaded
                    stderr=subprocess.DEVNULL,
                    # As dagster-dbt starts dbt: Python sets stdout's buffering at start-up,
                    # and the command's output goes through the same objects.
                    env=os.environ | {"PYTHONUNBUFFERED": "1"},
                )
            # Only the standby holds the listener now: once it has ended, a client's
            # connect fails at once and that client runs dbt itself.
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return cls(process, folder, path)

    def environment(self) -> dict[str, str]:
        """The variable that hands the next dbt command to this process; {} after once."""
        if self.handed_out or self.process.poll() is not None:
            return {}
        self.handed_out = True
        return {SOCKET_VARIABLE: os.fspath(self.path)}

    def wait_until_ready(self, timeout: float) -> bool:
        """Whether dbt is loaded in it (waiting up to `timeout` seconds)."""
        readable, _, _ = select.select([self.process.stdout], [], [], timeout)
        return bool(readable) and self.process.stdout.readline() == READY

    def stop(self, timeout: float = 10.0) -> str:
        """End the process if it still runs, reap it, remove its folder; what it did."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()
        shutil.rmtree(self.folder, ignore_errors=True)
        status = self.process.returncode
        if not self.handed_out:
            return "was not used"
        if status == DECLINED:
            return "was not loaded yet, or was given another project: dbt started in the step"
        if status < 0:
            return f"was ended by signal {-status}"
        return f"ran the step's dbt command (exit status {status})"


# The client: `trustgap-dbt` started by dagster-dbt.


def hand_over(argv: list[str]) -> int | None:
    """Run this dbt command (`argv`, as sys.argv) in the standby the environment names.

    Returns its exit status, or None when no standby took the command: there is
    none, it has ended or served another, or it is for another project. dbt then
    runs in this process.
    """
    path = os.environ.get(SOCKET_VARIABLE)
    if not path or not supported():
        return None
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        try:
            connection.connect(path)
        except OSError:
            return None  # it has ended: its listener refuses at once
        if _peer(connection)[1] != os.getuid():
            return None
        received: list[int] = []
        standby: list[int] = []  # its pidfd, once it has taken the command

        def forward(signum: int, frame: Any) -> None:
            received.append(signum)
            for pidfd in standby:
                _send(pidfd, signum)

        previous = {signum: signal.signal(signum, forward) for signum in FORWARDED}
        try:
            environment = {k: v for k, v in os.environ.items() if k != SOCKET_VARIABLE}
            request = {"argv": argv, "cwd": os.getcwd(), "env": environment}
            replies = connection.makefile("rb")
            try:
                socket.send_fds(connection, [b"R"], list(STDIO))
                connection.sendall(json.dumps(request).encode() + b"\n")
                answer = _message(replies)
            except OSError:  # it took another command, or ended, meanwhile
                answer = None
            if not (answer or {}).get("accepted"):
                # Nothing ran: this process runs dbt itself, unless it was told to stop.
                _restore(previous)
                for signum in received:
                    signal.raise_signal(signum)
                return None
            # Its pid comes in its answer: the socket's peer credentials are those of
            # the process that listened (the run's), not of the one that accepted.
            pid = answer["pid"]
            standby.append(os.pidfd_open(pid))
            for signum in received:  # before it took the command: now it can act on them
                _send(standby[0], signum)
            try:
                ended = _message(replies)
            except OSError:
                ended = None
            _wait_for_exit(standby[0])  # until then it may hold the working file
        finally:
            _restore(previous)
            for pidfd in standby:
                os.close(pidfd)
    if ended is None or not isinstance(ended.get("exit"), int):
        print(
            f"trustgap-dbt: the dbt process started ahead (pid {pid}) ended without an "
            "exit status: it was killed, or it crashed",
            file=sys.stderr,
            flush=True,
        )
        return 1
    return ended["exit"]


def _peer(connection: socket.socket) -> tuple[int, int, int]:
    return PEER_CREDENTIALS.unpack(
        connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, PEER_CREDENTIALS.size)
    )


def _message(stream) -> dict[str, Any] | None:
    """The next JSON line, or None at the end of the stream."""
    line = stream.readline(MAX_REQUEST)
    if not line.endswith(b"\n"):
        return None
    return json.loads(line)


def _send(pidfd: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it has ended meanwhile
        signal.pidfd_send_signal(pidfd, signum)


def _restore(previous: dict[int, Any]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)


def _wait_for_exit(pidfd: int) -> None:
    """Wait until the process has exited (its files closed, its locks released)."""
    poller = select.poll()
    poller.register(pidfd, select.POLLIN)
    poller.poll()


# The standby process.


def serve(listener_fd: int, project: Path, adapter: str, niceness: int) -> int:
    """Import dbt, wait for one command, run it as the client's own; its exit status.

    DECLINED when it did not run the command: the client then runs dbt itself.
    """
    listener = socket.socket(fileno=listener_fd)
    from pipelines import dbt_process

    dbt_process.die_with_parent()
    loading = _Loading(project, adapter, niceness)
    loading.start()

    connection, _ = listener.accept()
    listener.close()
    client, uid, _ = _peer(connection)
    message, fds, _, _ = socket.recv_fds(connection, 1, len(STDIO))
    request = _message(connection.makefile("rb"))
    if message != b"R" or len(fds) != len(STDIO) or request is None or uid != os.getuid():
        return _decline(connection, fds)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    argv = request["argv"]
    if dbt_process.project_dir(argv[1:]).resolve() != project.resolve():
        return _decline(connection, fds)
    # Not loaded yet: the import's priority is too low to be waited for (on a busy
    # machine it crawls), and the client's own dbt starts at the usual one.
    if loading.is_alive() or loading.cli is None:
        return _decline(connection, fds)

    for fd, target in zip(fds, STDIO, strict=True):
        os.dup2(fd, target)
        os.close(fd)
    _die_with(client)
    connection.sendall(json.dumps({"accepted": True, "pid": os.getpid()}).encode() + b"\n")

    sys.argv = argv
    status = dbt_process.run_dbt(loading.cli, argv)
    sys.stdout.flush()
    sys.stderr.flush()
    connection.sendall(json.dumps({"exit": status}).encode() + b"\n")
    return status


def _decline(connection: socket.socket, fds: list[int]) -> int:
    for fd in fds:
        os.close(fd)
    connection.sendall(b'{"accepted": false}\n')
    return DECLINED


class _Loading(threading.Thread):
    """dbt's import, on a thread of its own with a lower priority than the main thread's.

    Linux gives each thread its own nice value. The command runs on the main thread,
    at the run's priority: a process cannot lower a nice value it has raised (without
    CAP_SYS_NICE), so the lower one is kept to the thread that imports.
    """

    def __init__(self, project: Path, adapter: str, niceness: int) -> None:
        super().__init__(name="dbt-import", daemon=True)
        self.project = project
        self.adapter = adapter
        self.niceness = niceness
        self.cli: Any = None

    def run(self) -> None:
        me = threading.get_native_id()
        with contextlib.suppress(OSError):
            current = os.getpriority(os.PRIO_PROCESS, me)
            os.setpriority(os.PRIO_PROCESS, me, min(19, current + self.niceness))
        from pipelines import dbt_process

        try:
            cli = dbt_process.load_dbt(self.project)
            _import_what_a_build_imports(self.adapter)
        except Exception:  # the client runs dbt itself, and shows why
            return
        self.cli = cli
        # To the run's process, before any command (then stdout is the client's).
        with contextlib.suppress(OSError):
            os.write(STDIO[1], READY)


def _import_what_a_build_imports(adapter: str) -> None:
    """The modules dbt imports once a command runs (~0.1 s), beyond `dbt.cli.main`."""
    import dbt.compilation
    import dbt.task.build  # noqa: F401

    if adapter:
        __import__(f"dbt.adapters.{adapter}")


def _die_with(pid: int) -> None:
    """Kill this process when the client (pid) dies: it may hold the working file's lock."""
    pidfd = os.pidfd_open(pid)

    def watch() -> None:
        _wait_for_exit(pidfd)
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="client-watch", daemon=True).start()


def main() -> None:
    listener_fd, project, adapter, niceness = sys.argv[1:5]
    sys.exit(serve(int(listener_fd), Path(project), adapter, int(niceness)))


if __name__ == "__main__":
    main()
