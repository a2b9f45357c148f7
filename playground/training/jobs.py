"""One training job at a time, each in its own worker process, the others waiting in line.

A job is a module-level function `fn(config, send)` named "module:function". It runs in a fresh
process (multiprocessing "spawn": no threads, locks or model copied from the server) and reports
through a one-way pipe, the progress channel, by calling `send(kind, **fields)`. A crash, an out-of
-memory kill or a cancel ends that process and gives all its memory back; the server keeps serving.

The runner keeps the line: `submit` puts a job at the back (one active job per owner, usually a
browser session), a dispatcher thread starts the next one when the last has ended, `place` says
where a job stands, and `cancel` stops a job at once: taken out of the line, or its process killed.
"""

from __future__ import annotations

import importlib
import itertools
import logging
import multiprocessing as mp
import os
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from playground.checks import UserInputError
from playground.once import process_wide

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
ENDED = (DONE, FAILED, CANCELLED)

Send = Callable[..., None]  # send(kind, **fields) inside the worker


def worker_threads() -> int:
    """All cores but one for a worker: the server keeps a core for the other tabs while a run trains
    (two torch pools fighting over two cores slow both down many times over)."""
    return max(1, min((os.cpu_count() or 1) - 1, 8))


class JobFailed(Exception):
    """Raised by a job function for a stop a learner should read as it is (e.g. a diverging run)."""


@dataclass
class Job:
    id: int
    owner: str
    target: str
    config: dict[str, Any]
    status: str = QUEUED
    events: list[dict[str, Any]] = field(default_factory=list)  # what the worker sent, in order
    result: Any = None
    error: str = ""
    submitted: float = field(default_factory=time.monotonic)
    started: float | None = None
    ended: float | None = None
    process: Any = None
    _cond: threading.Condition = field(default_factory=threading.Condition, repr=False)

    def wait(self, seen: int, timeout: float) -> list[dict[str, Any]]:
        """The events after the first `seen`, waiting up to `timeout` s for one (or for the job to end)."""
        with self._cond:
            if len(self.events) <= seen and self.status not in ENDED:
                self._cond.wait(timeout)
            return self.events[seen:]

    def _update(self, **changes: Any) -> None:
        with self._cond:
            for name, value in changes.items():
                setattr(self, name, value)
            self._cond.notify_all()

    def _add(self, event: dict[str, Any]) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()


def _worker_main(target: str, config: dict[str, Any], conn) -> None:
    """The worker process: run the job function, then report how it ended."""

    def send(kind: str, **fields: Any) -> None:
        conn.send({"kind": kind, **fields})

    try:
        module, name = target.split(":")
        result = getattr(importlib.import_module(module), name)(config, send)
        send("done", result=result)
    except (JobFailed, UserInputError) as exc:
        send("failed", message=str(exc))
    except Exception as exc:
        send("failed", message=f"the training worker failed ({type(exc).__name__}: {exc})",
             detail=traceback.format_exc())
    finally:
        conn.close()


class JobRunner:
    def __init__(self, max_waiting: int = 8, stop_timeout_s: float = 2.0):
        self.max_waiting = max_waiting
        self.stop_timeout_s = stop_timeout_s
        self._line: deque[Job] = deque()
        self._running: Job | None = None
        self._lock = threading.Condition()
        self._ids = itertools.count(1)
        self._dispatcher: threading.Thread | None = None
        self._context = mp.get_context("spawn")

    # --- what the handlers call ----------------------------------------------------------------------

    def submit(self, owner: str, target: str, config: dict[str, Any]) -> Job:
        """Put a job at the back of the line, or a UserInputError when this owner has one going
        or the line is full."""
        with self._lock:
            if self.active(owner) is not None:
                raise UserInputError("You already have a training run going (or waiting). Wait for it to "
                                     "finish, or cancel it, before starting another.")
            if len(self._line) >= self.max_waiting:
                raise UserInputError(f"The training line is full ({len(self._line)} runs waiting). "
                                     "Try again in a few minutes.")
            job = Job(next(self._ids), owner, target, config)
            self._line.append(job)
            if self._dispatcher is None or not self._dispatcher.is_alive():
                self._dispatcher = threading.Thread(target=self._dispatch, name="training-dispatcher", daemon=True)
                self._dispatcher.start()
            self._lock.notify_all()
            return job

    def active(self, owner: str) -> Job | None:
        """The owner's job that is waiting or running, if any."""
        with self._lock:
            running = self._running
            if running is not None and running.owner == owner and running.status not in ENDED:
                return running
            return next((j for j in self._line if j.owner == owner), None)

    def place(self, job: Job) -> int:
        """0 while the job runs (or has ended), else its place in line: 1 is next."""
        with self._lock:
            return next((i for i, j in enumerate(self._line, 1) if j is job), 0)

    def waiting(self) -> int:
        with self._lock:
            return len(self._line)

    def cancel(self, owner: str) -> Job | None:
        """Stop the owner's job: out of the line, or its worker process ended. Returns the job."""
        with self._lock:
            job = self.active(owner)
            if job is None:
                return None
            if job.status == QUEUED:
                self._line.remove(job)
                job._update(status=CANCELLED, ended=time.monotonic())
                return job
            process = job.process
        job._update(status=CANCELLED)  # the dispatcher keeps this status when it sees the worker go
        if process is not None:
            self._stop(process)
        return job

    # --- the dispatcher ------------------------------------------------------------------------------

    def _stop(self, process) -> None:
        # SIGKILL at once: a training worker holds nothing that needs a goodbye (its files live in
        # the run's folder, which the caller discards), and the kernel frees its memory right away
        process.kill()
        process.join(self.stop_timeout_s)
        # The dispatcher may reap the worker at the same moment (two waitpid calls race, and the
        # loser sees no child and reports "still running"): wait until its exit code is recorded.
        deadline = time.monotonic() + self.stop_timeout_s
        while process.exitcode is None and time.monotonic() < deadline:
            time.sleep(0.01)

    def _dispatch(self) -> None:
        while True:
            with self._lock:
                while not self._line:
                    if not self._lock.wait(timeout=30):
                        self._dispatcher = None
                        return  # idle: a later submit starts a new dispatcher
                job = self._line.popleft()
                self._running = job
            try:
                self._run(job)
            except Exception:  # the dispatcher must outlive any one job
                log.exception("training job %s failed to run", job.id)
                job._update(status=FAILED, error="The training worker could not be started.", ended=time.monotonic())
            finally:
                with self._lock:
                    self._running = None

    def _run(self, job: Job) -> None:
        receive, send = self._context.Pipe(duplex=False)
        process = self._context.Process(target=_worker_main, args=(job.target, job.config, send),
                                        name=f"training-job-{job.id}", daemon=True)
        with self._lock:
            if job.status == CANCELLED:
                return
            job._update(status=RUNNING, started=time.monotonic(), process=process)
            process.start()
        send.close()  # the worker holds the only writing end: its exit ends the channel
        outcome: dict[str, Any] | None = None
        while True:
            try:
                if not receive.poll(0.2):
                    if not process.is_alive() and not receive.poll(0):
                        break
                    continue
                message = receive.recv()
            except (EOFError, OSError):
                break
            if message["kind"] in ("done", "failed"):
                outcome = message
            else:
                job._add(message)
        process.join(self.stop_timeout_s)
        if process.is_alive():
            self._stop(process)
        receive.close()
        ended = time.monotonic()
        if job.status == CANCELLED:
            job._update(ended=ended, process=None)
        elif outcome is not None and outcome["kind"] == "done":
            job._update(status=DONE, result=outcome["result"], ended=ended, process=None)
        elif outcome is not None:
            if outcome.get("detail"):
                log.error("training job %s: %s", job.id, outcome["detail"])
            job._update(status=FAILED, error=outcome["message"], ended=ended, process=None)
        else:
            job._update(status=FAILED, ended=ended, process=None,
                        error=f"The training worker stopped unexpectedly (exit code {process.exitcode}); "
                              "perhaps it ran out of memory. The server is fine: try a smaller run.")


@process_wide
def default_runner() -> JobRunner:
    """The process-wide runner every training lab shares: on a CPU one run at a time is all it holds."""
    return JobRunner()


@dataclass
class RunProgress:
    """What a training lab's tab shows while a run goes on, rebuilt from its worker's events:
    "status" (a line of text), "train" / "eval" (a curve point: step, loss and what else the lab
    logs, with the total steps and the seconds so far), "before" (the base model's answers) and
    "params" (trainable and total parameter counts)."""

    place: int = 0  # in the training line; 0 once running
    status: str = "waiting for the worker"
    train: list[dict[str, float]] = field(default_factory=list)  # {"step", "loss", ...}
    eval: list[dict[str, float]] = field(default_factory=list)
    total_steps: int = 0
    elapsed: float = 0.0  # seconds of training so far
    before: list[str] | None = None
    trainable: int = 0
    total: int = 0
    result: dict[str, Any] | None = None  # the worker's result, once the run is done

    def apply(self, event: dict[str, Any]) -> None:
        kind = event["kind"]
        if kind == "status":
            self.status = event["text"]
        elif kind in ("train", "eval"):
            point = {k: v for k, v in event.items() if k not in ("kind", "total", "elapsed")}
            (self.train if kind == "train" else self.eval).append(point)
            self.total_steps, self.elapsed = event["total"], event["elapsed"]
        elif kind == "before":
            self.before = event["texts"]
        elif kind == "params":
            self.trainable, self.total = event["trainable"], event["total"]

    @property
    def step(self) -> int:
        return int(self.train[-1]["step"]) if self.train else 0

    def seconds_left(self) -> float | None:
        """The training time still to go at the pace so far (answering the prompts comes on top)."""
        if not self.step or not self.total_steps:
            return None
        return self.elapsed / self.step * (self.total_steps - self.step)


def follow(job: Job, runner: JobRunner, poll_s: float = 0.5) -> Iterator[RunProgress]:
    """The run's progress after every poll while it waits or runs, and once more when it has ended
    well (then with `result`). A failed or cancelled run raises UserInputError with what happened."""
    progress, seen = RunProgress(), 0
    while True:
        events = job.wait(seen, poll_s)
        seen += len(events)
        for event in events:
            progress.apply(event)
        progress.place = runner.place(job)
        if job.status in ENDED:
            break
        yield progress
    if job.status == CANCELLED:
        raise UserInputError(f"Cancelled{f' at step {progress.step}' if progress.step else ''}: the worker process "
                             "stopped and its memory was freed.")
    if job.status != DONE:
        raise UserInputError(job.error or "The training run failed.")
    progress.result = job.result
    yield progress
