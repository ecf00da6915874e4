"""/chat: a line of a conversation in, its chat items out as server-sent events; its messages."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, StreamingResponse

from graph.api.bodies import ChatMessage
from graph.api.errors import error_response
from graph.api.sse import HEADERS, sse_frames
from graph.chat import ChatEngine
from graph.chat.desk import ChatItem

router = APIRouter(tags=["chat"])
Conversation = Annotated[
    str, Path(max_length=80, pattern=r"^[A-Za-z0-9._-]+$", description="The conversation's name.")
]
CHAT_STREAM_EXAMPLE = (
    'data: {"type":"conversation","conversation":"web"}\n\n'
    'data: {"type":"run","run_id":"tea-3f2a91","status":"queued"}\n\n'
    'data: {"type":"reply","text":"Started run tea-3f2a91: a 20 s 9:16 video about tea (joe voice)."}\n\n'
    'data: {"type":"event","event":{"seq":1,"kind":"queued","message":"queued here: tea","...":"..."}}\n\n'
    'data: {"type":"approval","run_id":"tea-3f2a91","gate":"script","script":{"title":"...","scenes":[]},'
    '"text":"..."}\n\n'
    'data: {"type":"done"}\n\n'
)


def chat_engine(request: Request) -> ChatEngine:
    """The app's one chat engine, made on first use over the app's Operations."""
    engine: ChatEngine | None = getattr(request.app.state, "chat", None)
    if engine is None:
        engine = request.app.state.chat = ChatEngine(request.app.state.ops)
    return engine


def _data(item: ChatItem) -> str:
    return f"data: {json.dumps(item, separators=(',', ':'), default=str)}\n\n"


@router.post(
    "/chat",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "Server-sent events, one chat item as JSON per `data:` line: first "
            '{"type":"conversation"}, then replies, runs, run events and approvals, last {"type":"done"}. '
            "A run started, resumed or answered in the turn is followed until it is done, fails or waits.",
            "content": {"text/event-stream": {"example": CHAT_STREAM_EXAMPLE}},
        }
    },
)
async def chat(body: ChatMessage, request: Request) -> StreamingResponse:
    """Say one line in a conversation (a new one when `conversation` is omitted): make a video, ask for
    costs or provider status, list, show, follow or resume runs, answer a waiting script, redo a scene."""
    engine = chat_engine(request)
    turn = engine.turn(body.message, body.conversation, review=body.review)
    return StreamingResponse(sse_frames(turn, _data), media_type="text/event-stream", headers=HEADERS)


@router.get(
    "/chat/{conversation}",
    responses={
        200: {
            "description": "The conversation's current thread.",
            "content": {
                "application/json": {
                    "example": {
                        "conversation": "web",
                        "thread_id": "chat:web:1",
                        "messages": [
                            {"role": "user", "text": "make a 20 second video about tea"},
                            {"role": "assistant", "text": "Started run tea-3f2a91: ..."},
                        ],
                        "last_run": "tea-3f2a91",
                        "pending": None,
                        "review": True,
                        "defaults": {},
                    }
                }
            },
        },
        404: {"description": "No conversation has this name."},
    },
)
async def chat_history(conversation: Conversation, request: Request) -> Any:
    """A conversation's messages (people's lines and the chat's answers), its last run and the gate it
    waits to have answered, so a reloaded page can show where it was."""
    found = await chat_engine(request).history(conversation)
    if found is None:
        return error_response(404, f"no conversation called {conversation!r}; start one with POST /chat")
    return JSONResponse(found)
