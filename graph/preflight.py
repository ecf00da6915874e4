"""Checks made before a run starts, so bad input fails in one line and leaves nothing behind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from graph.router_config import load_router_settings
from graph.settings import Settings
from state import JobRequest, JobSpec
from state.requests import first_error
from tools.errors import BadInput
from tools.home import check_home
from tools.media.ffmpeg import find_ffmpeg
from tools.sources import read_source
from tools.speech import VoiceShelf, check_voice


def validate_job(**fields: Any) -> JobSpec:
    """Turn CLI or API fields into a JobSpec, or raise BadInput naming the first problem."""
    try:
        return JobRequest(**fields).to_job()
    except ValidationError as exc:
        raise BadInput(first_error(exc)) from None


def check_inputs(job: JobSpec) -> JobSpec:
    """Read every source once and check the music file; return the job with absolute paths."""
    sources = []
    for source in job["sources"]:
        path = Path(source).expanduser().absolute()
        read_source(path)
        sources.append(str(path))
    music = job["music"]
    if music is not None:
        path = Path(music).expanduser().absolute()
        if not path.is_file():
            raise BadInput(f"music file not found: {music}; pass an existing audio file to --music")
        music = str(path)
    return {**job, "sources": sources, "music": music}


def preflight(settings: Settings, job: JobSpec, voices: VoiceShelf | None = None) -> JobSpec:
    """Check inputs, the home folder, ffmpeg and the voice before anything is written for the run.

    Pass the run's `voices` so the voice loaded here is the one the run speaks with.
    """
    job = check_inputs(job)
    check_home(settings.home, settings.min_free_bytes)
    # A bad reelforge.toml or an unknown alias fails here, before the run exists.
    router = load_router_settings(settings.home)
    if job["model"] != "default" and job["model"] not in router.aliases:
        known = ", ".join(sorted(router.aliases)) or "none yet"
        raise BadInput(
            f"unknown model alias '{job['model']}' (known: {known}); "
            f"define [aliases.{job['model']}] in reelforge.toml or drop --model"
        )
    find_ffmpeg()
    check_voice(job["voice"], shelf=voices)
    return job
