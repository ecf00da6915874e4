"""Which chat model a conversation's turn uses: the router's tool-calling text providers, or none (rules)."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from graph.services import Services

# can_chat() may knock on a local server's port; a busy chat asks again at most this often.
CAN_CHAT_TTL_S = 30.0


class ModelPicker:
    """Picks RoutedChatModel when a self-hosted or cloud text provider that calls tools may answer."""

    def __init__(self, services: Services, ttl_s: float = CAN_CHAT_TTL_S) -> None:
        """Ask `services`' router settings; remember the answer for `ttl_s` seconds."""
        self.services = services
        self.ttl_s = ttl_s
        self._answer: tuple[float, bool] | None = None
        self._lock = threading.Lock()

    def __call__(self, conversation: str) -> BaseChatModel | None:
        """A chat model for one turn of `conversation` (its calls ledgered as run `chat:<conversation>`),
        or None when no provider can take a tool-calling chat now."""
        from tools.models.chat_model import RoutedChatModel
        from tools.models.service import ModelRouter

        settings = self.services.settings
        router = ModelRouter(settings.router, self.services.ledger, f"chat:{conversation}")
        now = time.monotonic()
        with self._lock:
            if self._answer is None or now - self._answer[0] > self.ttl_s:
                self._answer = (now, router.can_chat())
            can = self._answer[1]
        return RoutedChatModel(router=router, node="chat") if can else None
