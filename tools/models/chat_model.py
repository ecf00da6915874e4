"""A LangChain chat model whose every turn goes through the model router: failover, cooldowns and ledger."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, convert_to_openai_messages
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import tool_call
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ConfigDict, Field

from state.model_calls import ChatAnswer, ChatRequest
from tools.models.service import ModelRouter


class RoutedChatModel(BaseChatModel):
    """Chat through `router`'s text providers that call tools, in their configured order.

    `bind_tools` takes LangChain tools, pydantic models, functions or OpenAI function specs. Each turn is
    ledgered under `node`; when no provider answers, the router's AllProvidersFailed propagates (one line
    naming each provider and why).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    router: ModelRouter = Field(exclude=True)
    node: str = "chat"
    alias: str = "default"
    tools: list[dict[str, Any]] = Field(default_factory=list)
    temperature: float = 0.2
    max_tokens: int = 1024

    @property
    def _llm_type(self) -> str:
        return "reelforge-router"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"node": self.node, "alias": self.alias, "tools": [t["function"]["name"] for t in self.tools]}

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> RoutedChatModel:
        """A copy of this model that offers `tools` on every turn (the model picks; "auto" only)."""
        if tool_choice not in (None, "auto"):
            # Ollama has no tool_choice, so forcing a tool could not mean the same on every provider.
            raise ValueError(f"tool_choice {tool_choice!r} is not supported; leave it unset or 'auto'")
        if kwargs:
            raise ValueError(f"unsupported bind_tools options: {', '.join(sorted(kwargs))}")
        return self.model_copy(update={"tools": [convert_to_openai_tool(tool) for tool in tools]})

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        """One turn: the history and the bound tools to the router, its answer back as an AIMessage."""
        if stop:
            raise ValueError("stop sequences are not supported by the routed chat model")
        history = convert_to_openai_messages(messages, text_format="string")
        request = ChatRequest(history, self.tools, self.temperature, self.max_tokens)
        routed = self.router.chat(request, self.node, self.alias)
        answer: ChatAnswer = routed.answer
        message = AIMessage(
            content=answer.content,
            tool_calls=[
                tool_call(name=call["name"], args=call["arguments"], id=call["id"])
                for call in answer.tool_calls
            ],
            usage_metadata=UsageMetadata(
                input_tokens=answer.tokens_in,
                output_tokens=answer.tokens_out,
                total_tokens=answer.tokens_in + answer.tokens_out,
            ),
            response_metadata={
                "model_name": answer.model,
                # Not "model_provider": LangChain reads that to translate content blocks per vendor.
                "router_provider": routed.provider,
                "tier": routed.tier,
                "degraded": routed.degraded,
            },
        )
        return ChatResult(generations=[ChatGeneration(message=message)])
