"""The orchestrator's state, and each sub-agent's input and output schema."""

from __future__ import annotations

import operator
from typing import Annotated, Any, NotRequired

from typing_extensions import TypedDict

from state.artifacts import Artifact, Repair, SceneAssets, VideoResult
from state.gates import Approval
from state.job import JobSpec
from state.model_calls import Degradation
from state.reducers import add_new, add_publications, merge_dicts, merge_scenes
from state.script import Fact, QualityReport, SceneSpec, Script
from state.sources import Product


class Publication(TypedDict):
    """One place the video was published, recorded before the run moves on."""

    target: str
    id: str
    url: str
    published_at: str
    # The video that was published: a new version is published again only when asked.
    video_sha256: NotRequired[str]
    # The idempotency key it was (or is about to be) posted under: run id + target + video sha256.
    key: NotRequired[str]
    # "pending" (an intent: about to be posted), "published", "scheduled", "private", "draft", "dry-run",
    # or "failed" (with `error`). Absent in records made before intents existed: published.
    status: NotRequired[str]
    error: NotRequired[str]
    # With --dry-run: what would have been posted (title, description, tags, files, settings).
    would_post: NotRequired[dict[str, Any]]


class RegenRequest(TypedDict):
    """Make scene `scene` again (a new take even with the same words), then recompose the video."""

    scene: int
    narration: str | None
    visual: str | None
    # Take number: the first make of a scene is 0, each regeneration one more.
    variant: int


class OrchestratorIn(TypedDict, total=False):
    """What a caller hands the orchestrator: a request line, or a ready JobSpec."""

    request: str
    job: JobSpec


class OrchestratorState(TypedDict, total=False):
    """Everything a run knows. JSON-native values only; artifacts are paths plus checksums."""

    request: str
    job: JobSpec
    facts: list[Fact]
    # Products from a catalogue, Airtable or a product API: a "Top N" video shows them.
    products: list[Product]
    script: Script
    quality: QualityReport
    revisions: int
    scenes: Annotated[list[SceneAssets], merge_scenes]
    video: VideoResult
    # Every video version this run made, oldest first; `video` is the current one.
    videos: Annotated[list[Artifact], add_new]
    publications: Annotated[list[Publication], add_publications]
    report: Artifact
    tiers: Annotated[dict[str, str], merge_dicts]
    degraded: Annotated[list[Degradation], operator.add]
    warnings: Annotated[list[str], operator.add]
    # Artifacts found damaged or missing before use and made again.
    repairs: Annotated[list[Repair], operator.add]
    # The video's files Publishing found damaged: VideoProduction makes them again before it goes on.
    damaged: list[str]
    # Answers given at gates, oldest first; `rejected` is set when one ended the run.
    approvals: Annotated[list[Approval], operator.add]
    rejected: Approval | None
    # A scene to make again (set by a fork of the run's checkpoint; cleared once made).
    regen: RegenRequest | None
    # Publish a new video version to targets that already have an older one.
    republish: bool


class OrchestratorOut(TypedDict, total=False):
    """What a finished run returns."""

    job: JobSpec
    script: Script
    video: VideoResult
    videos: list[Artifact]
    publications: list[Publication]
    report: Artifact
    tiers: dict[str, str]
    degraded: list[Degradation]
    warnings: list[str]
    repairs: list[Repair]
    approvals: list[Approval]
    rejected: Approval | None


class DataIn(TypedDict):
    """DataAcquisition reads the job."""

    job: JobSpec


class DataState(TypedDict, total=False):
    """DataAcquisition's working state."""

    job: JobSpec
    facts: list[Fact]
    products: list[Product]
    tiers: Annotated[dict[str, str], merge_dicts]
    warnings: Annotated[list[str], operator.add]


class DataOut(TypedDict, total=False):
    """DataAcquisition returns facts with their sources, and the products a catalogue job shows."""

    facts: list[Fact]
    products: list[Product]
    tiers: Annotated[dict[str, str], merge_dicts]
    warnings: Annotated[list[str], operator.add]


class ContentIn(TypedDict):
    """ContentGeneration reads the job and the facts; to remake one scene, the script, scenes and request."""

    job: JobSpec
    facts: list[Fact]
    products: NotRequired[list[Product]]
    script: NotRequired[Script]
    scenes: NotRequired[list[SceneAssets]]
    regen: NotRequired[RegenRequest | None]


class ContentState(TypedDict, total=False):
    """ContentGeneration's private working state."""

    job: JobSpec
    facts: list[Fact]
    products: list[Product]
    script: Script
    quality: QualityReport
    revisions: int
    scenes: Annotated[list[SceneAssets], merge_scenes]
    tiers: Annotated[dict[str, str], merge_dicts]
    degraded: Annotated[list[Degradation], operator.add]
    warnings: Annotated[list[str], operator.add]
    regen: RegenRequest | None
    # This pass's answer at the script gate (private: a new pass asks again).
    review: Approval
    approvals: Annotated[list[Approval], operator.add]
    rejected: Approval | None


class ContentOut(TypedDict, total=False):
    """ContentGeneration returns the script and one image and narration per scene, or a rejection."""

    script: Script
    quality: QualityReport
    revisions: int
    scenes: Annotated[list[SceneAssets], merge_scenes]
    tiers: Annotated[dict[str, str], merge_dicts]
    degraded: Annotated[list[Degradation], operator.add]
    warnings: Annotated[list[str], operator.add]
    regen: RegenRequest | None
    approvals: Annotated[list[Approval], operator.add]
    rejected: Approval | None


class SceneTask(TypedDict):
    """The payload of one `Send`: a scene to illustrate and voice."""

    job: JobSpec
    title: str
    scene: SceneSpec
    scene_count: int
    # 0 for the first take; a regeneration asks for the next one, so the files differ even for equal words.
    variant: int
    # The offline card's pictogram, planned over the whole script so neighbouring cards differ; absent in
    # tasks made before pictograms existed: the card picks its own.
    pictogram: NotRequired[str]
    # The product this scene presents (a "Top N" video): its own picture is the scene's.
    product: NotRequired[Product]


class VideoIn(TypedDict):
    """VideoProduction reads the job, the script and the scene assets."""

    job: JobSpec
    script: Script
    scenes: list[SceneAssets]
    # The products shown, so a damaged product picture is made again from the product's own image.
    products: NotRequired[list[Product]]


class VideoState(TypedDict, total=False):
    """VideoProduction's private working state."""

    job: JobSpec
    script: Script
    scenes: Annotated[list[SceneAssets], merge_scenes]
    products: list[Product]
    timeline: list[dict[str, float]]
    subtitles: Artifact
    soundtrack: Artifact
    rendered: Artifact
    video: VideoResult
    videos: Annotated[list[Artifact], add_new]
    tiers: Annotated[dict[str, str], merge_dicts]
    degraded: Annotated[list[Degradation], operator.add]
    warnings: Annotated[list[str], operator.add]
    repairs: Annotated[list[Repair], operator.add]
    damaged: list[str]


class VideoOut(TypedDict, total=False):
    """VideoProduction returns the verified video (and adds it to the run's versions), and any scene file it
    had to make again."""

    video: VideoResult
    videos: Annotated[list[Artifact], add_new]
    scenes: Annotated[list[SceneAssets], merge_scenes]
    tiers: Annotated[dict[str, str], merge_dicts]
    degraded: Annotated[list[Degradation], operator.add]
    warnings: Annotated[list[str], operator.add]
    repairs: Annotated[list[Repair], operator.add]
    damaged: list[str]


class PublishIn(TypedDict):
    """Publishing reads the job, the script, the video and what was published before."""

    job: JobSpec
    script: Script
    video: VideoResult
    publications: list[Publication]
    republish: NotRequired[bool]
    # The scenes, for the credits of pictures from open media.
    scenes: NotRequired[list[SceneAssets]]
    # The products shown, for their links in the description.
    products: NotRequired[list[Product]]


class PublishState(TypedDict, total=False):
    """Publishing's working state."""

    job: JobSpec
    script: Script
    video: VideoResult
    publications: Annotated[list[Publication], add_publications]
    republish: bool
    scenes: list[SceneAssets]
    products: list[Product]
    warnings: Annotated[list[str], operator.add]
    repairs: Annotated[list[Repair], operator.add]
    damaged: list[str]
    # This pass's answer at the publish gate (private: a new version asks again).
    review: Approval
    approvals: Annotated[list[Approval], operator.add]
    rejected: Approval | None


class TargetTask(TypedDict):
    """The payload of one `Send` to a platform: the target and what is published there."""

    target: str
    job: JobSpec
    script: Script
    video: VideoResult
    scenes: list[SceneAssets]
    products: list[Product]
    publications: list[Publication]


class PublishOut(TypedDict, total=False):
    """Publishing returns one record per target, or a rejection, or the video's files it found damaged."""

    publications: Annotated[list[Publication], add_publications]
    warnings: Annotated[list[str], operator.add]
    repairs: Annotated[list[Repair], operator.add]
    damaged: list[str]
    approvals: Annotated[list[Approval], operator.add]
    rejected: Approval | None


class MonitorIn(TypedDict, total=False):
    """Monitoring reads the whole run."""

    job: JobSpec
    script: Script
    video: VideoResult
    publications: list[Publication]
    tiers: dict[str, str]
    degraded: list[Degradation]
    warnings: list[str]
    repairs: list[Repair]
    approvals: list[Approval]


class MonitorState(MonitorIn, total=False):
    """Monitoring's working state."""

    report: Artifact


class MonitorOut(TypedDict, total=False):
    """Monitoring returns the report."""

    report: Artifact
