"""A Coqui TTS server protocol fake: GET /api/tts speaks real WAV audio with our espeak-ng voice.

Routes: GET /api/tts (text, speaker_id, language_id, style_wav as query parameters, or the same names as
headers like the idiap fork accepts) and GET / (the demo page, with a speaker menu when `speakers` is set).
What the server sent: `served_audio` (the exact bytes, in order).
"""

from __future__ import annotations

import html
import tempfile
import threading
from pathlib import Path

from tests.servers.harness import ProtocolServer, Request, Response
from tools.errors import BadInput
from tools.speech.espeak_voice import EspeakSynthesizer


class CoquiServer(ProtocolServer):
    """The routes of `tts-server` that a client uses, with speech from espeak-ng instead of a neural model."""

    def __init__(self) -> None:
        self.speakers: list[str] = []
        self.languages: list[str] = []
        self.served_audio: list[bytes] = []
        self._state = threading.Lock()
        super().__init__()

    def register(self) -> None:
        """The Coqui TTS server's routes."""
        self.route("GET", "/api/tts", self._tts)
        self.route("GET", "/", self._index)

    def _param(self, request: Request, name: str) -> str:
        headers = {key.lower(): value for key, value in request.headers.items()}
        return headers.get(name.replace("_", "-")) or request.query.get(name, [""])[0]

    def _tts(self, request: Request, fault: str | None) -> Response:
        text = self._param(request, "text")
        if not text.strip():
            return Response.json({"error": "Text parameter is required"}, status=400)
        speaker = self._param(request, "speaker_id")
        # As in the idiap server: one-speaker models ignore speaker_id, multi-speaker ones need a real one.
        if self.speakers and speaker not in self.speakers:
            return Response.json(
                {"error": f"TTS synthesis failed: speaker {speaker!r} not found"}, status=500
            )
        language = self._param(request, "language_id")
        if self.languages and language not in self.languages:
            return Response.json(
                {"error": f"TTS synthesis failed: language {language!r} not found"}, status=500
            )
        try:
            audio = b"" if fault == "empty" else _speak(text)
        except BadInput as error:
            return Response.json({"error": f"TTS synthesis failed: {error}"}, status=500)
        # The harness cuts a truncated answer to its first half; record what actually went on the wire.
        sent = audio[: max(1, len(audio) // 2)] if fault == "truncated" else audio
        with self._state:
            self.served_audio.append(sent)
        return Response(audio, "audio/wav")

    def _index(self, request: Request, fault: str | None) -> Response:
        if request.path != "/":
            return Response(b"<h1>Not Found</h1>", "text/html; charset=utf-8", 404)
        menu = ""
        if self.speakers:
            options = "".join(
                f'<option value="{html.escape(name)}" SELECTED>{html.escape(name)}</option>"\n'
                for name in self.speakers
            )
            menu = (
                'Choose a speaker:\n<select id="speaker_id" name=speaker_id method="GET" action="/">\n'
                f"{options}</select><br /><br />\n"
            )
        page = (
            '<!DOCTYPE html>\n<html lang="en">\n'
            '<head><meta charset="utf-8"><title>TTS engine</title></head>\n'
            '<body><div class="container">\n'
            '<input id="text" placeholder="Type here..." size=45 type="text" name="text">\n'
            '<button id="speak-button" name="speak">Speak</button><br /><br />\n'
            f'{menu}<audio id="audio" controls autoplay hidden></audio>\n<p id="message"></p>\n'
            "</div></body>\n</html>\n"
        )
        return Response(page.encode(), "text/html; charset=utf-8")


def _speak(text: str) -> bytes:
    """Real speech for `text` as WAV bytes, spoken by espeak-ng into a temporary file."""
    with tempfile.TemporaryDirectory(prefix="coqui-fake-") as folder:
        path = Path(folder) / "speech.wav"
        EspeakSynthesizer().synthesize(text, path)
        return path.read_bytes()
