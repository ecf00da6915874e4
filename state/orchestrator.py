"""The orchestrator's state, and each sub-agent's input and output schema."""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

from state.artifacts import Artifact, SceneAssets, VideoResult
from state.job import JobSpec
from state.model_calls import Degradation
from state.reducers import merge_dicts, merge_scenes
from state.script import Fact, QualityReport, SceneSpec, Script


class Publication(TypedDict):
    """One place the video was published, recorded before the run moves on."""

    target: str
    id: str
    url: str
    published_at: str


class OrchestratorIn(TypedDict, total=False):
    """What a caller hands the orchestrator: a request line, or a ready JobSpec."""

    request: str
    job: JobSpec


class OrchestratorState(TypedDict, total=False):
    """Everything a run knows. JSON-native values only; artifacts are paths plus checksums."""

    request: str
    job: JobSpec
    facts: list[Fact]
    script: Script
    quality: QualityReport
    revisions: int
    scenes: Annotated[list[SceneAssets], merge_scenes]
    video: VideoResult
    publications: Annotated[list[Publication], operator.add]
    report: Artifact
    tiers: Annotated[dict[str, str], merge_dicts]
    degraded: Annotated[list[Degradation], operator.add]
    warnings: Annotated[list[str], operator.add]


class OrchestratorOut(TypedDict, total=False):
    """What a finished run returns."""

    job: JobSpec
    script: Script
    video: VideoResult
    publications: list[Publication]
    report: Artifact
    tiers: dict[str, str]
    degraded: list[Degradation]
    warnings: list[str]


class DataIn(TypedDict):
    """DataAcquisition reads the job."""

    job: JobSpec


class DataState(TypedDict, total=False):
    """DataAcquisition's working state."""

    job: JobSpec
    facts: list[Fact]
    tiers: Annotated[dict[str, str], merge_dicts]
    warnings: Annotated[list[str], operator.add]


class DataOut(TypedDict, total=False):
    """DataAcquisition returns facts with their sources."""

    facts: list[Fact]
    tiers: Annotated[dict[str, str], merge_dicts]
    warnings: Annotated[list[str], operator.add]


class ContentIn(TypedDict):
    """ContentGeneration reads the job and the facts."""

    job: JobSpec
    facts: list[Fact]


class ContentState(TypedDict, total=False):
    """ContentGeneration's private working state."""

    job: JobSpec
    facts: list[Fact]
    script: Script
    quality: QualityReport
    revisions: int
    scenes: Annotated[list[SceneAssets], merge_scenes]
    tiers: Annotated[dict[str, str], merge_dicts]
    degraded: Annotated[list[Degradation], operator.add]
    warnings: Annotated[list[str], operator.add]


class ContentOut(TypedDict, total=False):
    """ContentGeneration returns the script and one image and narration per scene."""

    script: Script
    quality: QualityReport
    revisions: int
    scenes: Annotated[list[SceneAssets], merge_scenes]
    tiers: Annotated[dict[str, str], merge_dicts]
    degraded: Annotated[list[Degradation], operator.add]
    warnings: Annotated[list[str], operator.add]


class SceneTask(TypedDict):
    """The payload of one `Send`: a scene to illustrate and voice."""

    job: JobSpec
    title: str
    scene: SceneSpec
    scene_count: int


class VideoIn(TypedDict):
    """VideoProduction reads the job, the script and the scene assets."""

    job: JobSpec
    script: Script
    scenes: list[SceneAssets]


class VideoState(TypedDict, total=False):
    """VideoProduction's private working state."""

    job: JobSpec
    script: Script
    scenes: list[SceneAssets]
    timeline: list[dict[str, float]]
    subtitles: Artifact
    soundtrack: Artifact
    rendered: Artifact
    video: VideoResult
    tiers: Annotated[dict[str, str], merge_dicts]
    warnings: Annotated[list[str], operator.add]


class VideoOut(TypedDict, total=False):
    """VideoProduction returns the verified video."""

    video: VideoResult
    tiers: Annotated[dict[str, str], merge_dicts]
    warnings: Annotated[list[str], operator.add]


class PublishIn(TypedDict):
    """Publishing reads the job, the script and the video."""

    job: JobSpec
    script: Script
    video: VideoResult
    publications: list[Publication]


class PublishState(TypedDict, total=False):
    """Publishing's working state."""

    job: JobSpec
    script: Script
    video: VideoResult
    publications: Annotated[list[Publication], operator.add]
    warnings: Annotated[list[str], operator.add]


class PublishOut(TypedDict, total=False):
    """Publishing returns one record per target."""

    publications: Annotated[list[Publication], operator.add]
    warnings: Annotated[list[str], operator.add]


class MonitorIn(TypedDict, total=False):
    """Monitoring reads the whole run."""

    job: JobSpec
    script: Script
    video: VideoResult
    publications: list[Publication]
    tiers: dict[str, str]
    degraded: list[Degradation]
    warnings: list[str]


class MonitorState(MonitorIn, total=False):
    """Monitoring's working state."""

    report: Artifact


class MonitorOut(TypedDict, total=False):
    """Monitoring returns the report."""

    report: Artifact
