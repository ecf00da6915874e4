"""The Coqui TTS server as a self-hosted speech provider: GET /api/tts answers a WAV."""

from __future__ import annotations

import time
from html.parser import HTMLParser

import httpx

from tools.models.base import Capability, HealthResult, MediaAnswer, SpeechRequest, Tier
from tools.models.failures import ProviderError
from tools.models.http_failures import failure_for_exception, failure_for_status

DEFAULT_MODEL = "coqui-tts"
_CHECK_TIMEOUT_S = 10.0
_DETAIL_MAX = 200


class CoquiSpeech:
    """Speak text with a Coqui TTS server (`tts-server`, from coqui-ai/TTS or its idiap fork)."""

    def __init__(
        self,
        url: str,
        speaker: str = "",
        language: str = "",
        timeout_s: float = 120.0,
        *,
        http: httpx.Client | None = None,
    ) -> None:
        self.name = "coqui"
        self.tier: Tier = "self-hosted"
        self.capability: Capability = "speech"
        self.endpoint = url.rstrip("/")
        self.model = speaker or DEFAULT_MODEL
        self.speaker = speaker
        self.language = language
        self.timeout_s = timeout_s
        self._http = http if http is not None else httpx.Client()

    def close(self) -> None:
        """Close the HTTP client."""
        self._http.close()

    def call(self, request: SpeechRequest) -> MediaAnswer:
        """Speak `request.text` and return the WAV as sent.

        A truncated WAV is returned as sent (its Content-Length matched): the router decode-checks media.
        """
        what = "GET /api/tts"
        if not request.text.strip():
            raise ProviderError("bad_request", "there is no text to speak")
        # The server hands speaker_id to single-speaker models too, and some versions then fail: send it only
        # when one is configured. Single-language models ignore language_id.
        params = {"text": request.text}
        if self.speaker:
            params["speaker_id"] = self.speaker
        language = self.language or request.lang
        if language:
            params["language_id"] = language
        try:
            response = self._http.get(f"{self.endpoint}/api/tts", params=params, timeout=self.timeout_s)
        except (httpx.HTTPError, ConnectionError) as error:
            failure = failure_for_exception(error, what)
            if failure is None:
                raise
            raise failure from error
        if not response.is_success:
            raise failure_for_status(response.status_code, response.headers, what)
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if not content_type.startswith("audio/"):
            raise ProviderError(
                "bad_content", f"{what} answered {content_type or 'no content type'}, not audio"
            )
        if not response.content:
            raise ProviderError("empty", f"{what} answered an empty {content_type}")
        return MediaAnswer(response.content, self.model, content_type)

    def check(self) -> HealthResult:
        """GET the server's index page; healthy when it answers 200 and offers the configured speaker."""
        started = time.monotonic()
        try:
            response = self._http.get(f"{self.endpoint}/", timeout=min(self.timeout_s, _CHECK_TIMEOUT_S))
        except Exception as error:  # check() reports; it never raises
            failure = failure_for_exception(error, "GET /")
            detail = failure.detail if failure is not None else _one_line(error)
            return HealthResult(False, _ms_since(started), error=f"Coqui TTS at {self.endpoint}: {detail}")
        latency_ms = _ms_since(started)
        if response.status_code != 200:
            detail = failure_for_status(response.status_code, response.headers, "GET /").detail
            return HealthResult(False, latency_ms, error=f"Coqui TTS at {self.endpoint}: {detail}")
        speakers = speakers_in_index(response.text)
        if self.speaker and speakers and self.speaker not in speakers:
            return HealthResult(
                False,
                latency_ms,
                models=speakers,
                error=f"speaker '{self.speaker}' is not offered by the Coqui TTS model at {self.endpoint}; "
                f"offered: {_one_line(', '.join(speakers))}",
            )
        return HealthResult(True, latency_ms, models=speakers or [self.model])


def speakers_in_index(html: str) -> list[str]:
    """The speaker ids a Coqui TTS index page offers in its speaker_id menu (none for one-speaker models)."""
    parser = _SpeakerMenu()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # a page we cannot read offers no speakers
        return []
    return parser.speakers


class _SpeakerMenu(HTMLParser):
    """Collect <option value> inside <select id="speaker_id">."""

    def __init__(self) -> None:
        super().__init__()
        self.speakers: list[str] = []
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "select":
            self._inside = values.get("id") == "speaker_id" or values.get("name") == "speaker_id"
        elif tag == "option" and self._inside and values.get("value"):
            self.speakers.append(str(values["value"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._inside = False


def _ms_since(started: float) -> float:
    return (time.monotonic() - started) * 1000


def _one_line(reason: object) -> str:
    text = " ".join(str(reason).split()) or type(reason).__name__
    return text if len(text) <= _DETAIL_MAX else text[: _DETAIL_MAX - 3] + "..."
