"""Checks made before a run starts, so bad input fails in one line and leaves nothing behind."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from state import JobRequest, JobSpec
from state.requests import first_problem
from state.sources import Source, is_local
from tools.errors import BadInput, InvalidField
from tools.home import check_home
from tools.media.probe import probe_audio
from tools.publish.needs import TARGET_NEEDS
from tools.sources import read_catalogue, read_folder, read_source

if TYPE_CHECKING:
    # The settings, ffmpeg and the voices load only when needed: `make` checks a request's fields and
    # files first, so a typo fails in a fraction of a second.
    from graph.settings import Settings
    from tools.speech import VoiceShelf


def validate_job(**fields: Any) -> JobSpec:
    """Turn a door's fields into a resolved JobSpec, or raise InvalidField naming the first problem."""
    try:
        return JobRequest(**fields).to_job()
    except ValidationError as exc:
        raise InvalidField(*first_problem(exc)) from None


def check_inputs(job: JobSpec) -> JobSpec:
    """Read every local source file once and decode the start of the music file; return the job with
    absolute paths. Pages, feeds and services are read by the run, which reports what failed."""
    sources: list[Source] = []
    for source in job["sources"]:
        if not is_local(source):
            sources.append(source)
            continue
        path = Path(source["ref"]).expanduser().absolute()
        try:
            if source["kind"] == "file":
                read_folder(path) if path.is_dir() else read_source(path)
            else:
                read_catalogue(path)
        except BadInput as exc:
            raise InvalidField("sources", str(exc)) from None
        sources.append({"kind": source["kind"], "ref": str(path)})
    music = job["music"]
    if music is not None:
        path = Path(music).expanduser().absolute()
        try:
            # Decoded here, not mid-run: a bad file must fail before the run id is taken and stored.
            probe_audio(path)
        except BadInput as exc:
            raise InvalidField("music", str(exc)) from None
        music = str(path)
    return {**job, "sources": sources, "music": music}


def check_setup(settings: Settings, job: JobSpec) -> None:
    """The quick checks of the machine for a job: the home folder, its free space, and the model alias.

    With check_inputs, a door runs these before it loads the run service, so bad input fails at once.
    """
    check_home(settings.home, settings.min_free_bytes)
    check_targets(settings, job)
    aliases = settings.router.aliases
    if job["model"] != "default" and job["model"] not in aliases:
        known = ", ".join(sorted(aliases)) or "none yet"
        raise InvalidField(
            "model",
            f"unknown model alias '{job['model']}' (known: {known}); "
            f"define [aliases.{job['model']}] in reelforge.toml",
        )


def target_ready(settings: Settings, target: str) -> bool:
    """Whether a publish target is set up: a token, a site and credentials, an account, a URL."""
    publish = settings.publish
    wordpress, instagram = publish.wordpress, publish.instagram
    if target == "gallery":
        return True
    if target == "youtube":
        return settings.youtube_token.is_file()
    if target == "wordpress":
        return bool(wordpress.url and wordpress.user and wordpress.app_password)
    if target == "instagram":
        return bool(instagram.user_id and instagram.access_token and settings.gallery_url)
    return target == "webhook" and bool(publish.webhook.url)


def check_targets(settings: Settings, job: JobSpec) -> None:
    """Each platform the job names is set up (a token, a URL, credentials); a dry run needs none."""
    if job.get("dry_run", False):
        return
    for target in job["targets"]:
        if not target_ready(settings, target):
            raise InvalidField("targets", f"{target} is not set up; {TARGET_NEEDS[target]}")


def preflight(settings: Settings, job: JobSpec, voices: VoiceShelf | None = None) -> JobSpec:
    """Check inputs, the home folder, ffmpeg and the voice before anything is written for the run.

    Pass the run's `voices` so the voice loaded here is the one the run speaks with.
    """
    from tools.media.ffmpeg import find_ffmpeg
    from tools.speech import check_voice

    job = check_inputs(job)
    check_setup(settings, job)
    find_ffmpeg(settings.ffmpeg)
    check_voice(job["voice"], shelf=voices)
    return job
