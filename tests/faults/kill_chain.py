"""Kill a run at one node boundary after another, resuming each time, and check what every resume did.

Each process is armed with one failpoint (REELFORGE_FAILPOINT) and SIGKILLs itself there; the next
`resume` is armed with the next point. The points are every boundary a reference run of the same job
passed, in order, so one run is killed at each of them once.
"""

from __future__ import annotations

import json
import signal
from collections import defaultdict
from pathlib import Path

from tests.conftest import CliResult, run_cli
from tests.journal_checks import read_journal
from tests.media_checks import measure

MAKE = ("make", "how glaciers move", "--duration", "10", "--voice", "espeak", "--preview", "--json")
# Between the start and the end of the gallery node: after the post, before its outcome is recorded.
POSTED = "posted:gallery"
# The same point in a platform target's branch; the chain's job publishes to this one platform.
PLATFORM = "wordpress"
POSTED_PLATFORM = f"posted:{PLATFORM}"
# Each post's kill point, and the node whose start is the journal's last record when it fires.
POSTS = {POSTED: "publish_gallery", POSTED_PLATFORM: "publish_target"}


def boundaries(run_dir: Path) -> list[str]:
    """Every node start and successful end the run passed, in order, once each."""
    points: list[str] = []
    for record in read_journal(run_dir):
        if record["event"] == "start":
            point = f"start:{record['node']}"
        elif record["event"] == "end" and record["ok"]:
            point = f"end:{record['node']}"
        else:
            continue
        if point not in points:
            points.append(point)
            for posted, node in POSTS.items():
                if point == f"start:{node}":
                    points.append(posted)
    return points


def restarted_tasks(run_dir: Path) -> list[str]:
    """Tasks that started again after they had finished: what must never happen."""
    finished: set[str] = set()
    again = []
    for record in read_journal(run_dir):
        task = record.get("task")
        if record["event"] == "end" and record["ok"]:
            finished.add(task)
        elif record["event"] == "start" and task in finished:
            again.append(f"{record['agent']}.{record['node']} ({task})")
    return again


def last_record_is(run_dir: Path, point: str) -> bool:
    """Whether the journal's last record is the boundary the process was killed at."""
    event, _, node = point.partition(":")
    if point in POSTS:
        event, node = "start", POSTS[point]
    last = read_journal(run_dir)[-1]
    return last["node"] == node and last["event"] == event and (event == "start" or last["ok"])


def gallery_post(home: Path, run_id: str) -> tuple[int, int, str] | None:
    """What identifies the gallery's copy of a run's video: a second post would change it."""
    video = home / "gallery" / run_id / "video.mp4"
    if not video.exists():
        return None
    stat = video.stat()
    metadata = json.loads((home / "gallery" / run_id / "metadata.json").read_text())
    return stat.st_ino, stat.st_mtime_ns, metadata["published_at"]


class Person:
    """Types what a person would type next: make the run, approve it at a gate, resume it after a kill,
    and once it is done, `then` (say, a regen) once."""

    def __init__(self, home: Path, run_id: str, make: tuple[str, ...], then: tuple[str, ...]) -> None:
        self.home, self.run_id, self.make, self.then = home, run_id, make, then
        self.status: str | None = None

    def next_command(self) -> tuple[str, ...] | None:
        """The next command, or None when the run is done and nothing is left to do."""
        if self.status is None:
            return (*self.make, "--run-id", self.run_id)
        if self.status == "waiting":
            return ("approve", self.run_id, "--json")
        if self.status == "done":
            then, self.then = self.then, ()
            return (then[0], self.run_id, *then[1:]) if then else None
        return ("resume", self.run_id, "--json")

    def run(self, env: dict[str, str]) -> CliResult | None:
        """Type the next command; None when there is nothing left to type."""
        command = self.next_command()
        if command is None:
            return None
        result = run_cli(self.home, *command, **env)
        if result.code == -signal.SIGKILL:
            self.status = "stopped"
        else:
            assert result.code == 0, f"{command} exited {result.code}: {result.stderr[-2000:]}"
            self.status = result.json()["status"]
        return result


def drive(person: Person, env: dict[str, str]) -> None:
    """Go on to the end with no fault."""
    while person.run(env) is not None:
        pass


def kill_at_every_boundary(
    home: Path,
    env: dict[str, str],
    make: tuple[str, ...] = MAKE,
    then: tuple[str, ...] = (),
    run_id: str = "killed",
) -> dict[str, object]:
    """Run the chain; return what it saw for the test to assert on and the README to quote.

    `make` starts the job; gates are approved as a person would; `then` (e.g. a regen) runs once the job is
    done, so its nodes are killed at too.
    """
    drive(Person(home, "reference", make, then), env)
    points = boundaries(home / "runs" / "reference")
    run_dir = home / "runs" / run_id
    person = Person(home, run_id, make, then)
    post = None
    for point in points:
        # A point past a gate is reached by the command that answers it, so a run that stops waiting
        # is approved with the same point armed.
        for _ in range(3):
            result = person.run({**env, "REELFORGE_FAILPOINT": point})
            assert result is not None, f"{point}: the run ended before reaching it"
            if result.code == -signal.SIGKILL:
                break
        else:
            raise AssertionError(f"{point} was never reached")
        assert last_record_is(run_dir, point), f"{point}: the journal ends elsewhere"
        assert restarted_tasks(run_dir) == [], f"after the kill at {point}"
        if point == POSTED:
            post = gallery_post(home, run_id)
            assert post is not None, "the post happened before the kill"
    drive(person, env)
    starts: dict[str, int] = defaultdict(int)
    replays: dict[str, int] = defaultdict(int)
    for record in read_journal(run_dir):
        key = f"{record['agent']}.{record['node']}"
        if record["event"] == "start":
            starts[key] += 1
        elif record["event"] == "replay":
            replays[key] += 1
    shown = run_cli(home, "show", run_id, "--json", **env).json()
    return {
        "points": points,
        "restarted": restarted_tasks(run_dir),
        "post_before": post,
        "post_after": gallery_post(home, run_id),
        "video": measure(Path(shown["video"]["path"])),
        "starts": dict(starts),
        "replays": dict(replays),
        "publications": shown["publications"],
    }
