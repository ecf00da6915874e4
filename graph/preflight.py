"""Checks made before a run starts, so bad input fails in one line and leaves nothing behind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from graph.settings import Settings
from state import JobRequest, JobSpec
from state.requests import first_problem
from tools.errors import BadInput, InvalidField
from tools.home import check_home
from tools.media.ffmpeg import find_ffmpeg
from tools.sources import read_source
from tools.speech import VoiceShelf, check_voice


def validate_job(**fields: Any) -> JobSpec:
    """Turn a door's fields into a resolved JobSpec, or raise InvalidField naming the first problem."""
    try:
        return JobRequest(**fields).to_job()
    except ValidationError as exc:
        raise InvalidField(*first_problem(exc)) from None


def check_inputs(job: JobSpec) -> JobSpec:
    """Read every source once and check the music file; return the job with absolute paths."""
    sources = []
    for source in job["sources"]:
        path = Path(source).expanduser().absolute()
        try:
            read_source(path)
        except BadInput as exc:
            raise InvalidField("sources", str(exc)) from None
        sources.append(str(path))
    music = job["music"]
    if music is not None:
        path = Path(music).expanduser().absolute()
        if path.is_dir():
            raise InvalidField("music", f"{music} is a folder; give an audio file")
        if not path.is_file():
            raise InvalidField("music", f"music file not found: {music}; give an existing audio file")
        music = str(path)
    return {**job, "sources": sources, "music": music}


def preflight(settings: Settings, job: JobSpec, voices: VoiceShelf | None = None) -> JobSpec:
    """Check inputs, the home folder, ffmpeg and the voice before anything is written for the run.

    Pass the run's `voices` so the voice loaded here is the one the run speaks with.
    """
    job = check_inputs(job)
    check_home(settings.home, settings.min_free_bytes)
    aliases = settings.router.aliases
    if job["model"] != "default" and job["model"] not in aliases:
        known = ", ".join(sorted(aliases)) or "none yet"
        raise InvalidField(
            "model",
            f"unknown model alias '{job['model']}' (known: {known}); "
            f"define [aliases.{job['model']}] in reelforge.toml",
        )
    find_ffmpeg(settings.ffmpeg)
    check_voice(job["voice"], shelf=voices)
    return job
