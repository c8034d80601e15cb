"""Why a chat-model call failed: the one classifier the answerer and the indicator extractor share.

langchain-core 1.x maps provider failures onto `langchain_core.exceptions.Model*Error`; the raw openai and
httpx errors are matched too, for paths that are not wrapped (a stream broken half-way).
"""

from __future__ import annotations

from typing import Literal

Reason = Literal["timeout", "unreachable", "unauthorized", "rejected", "error"]

# the endpoint itself is failing: every further call would fail the same way for a while
ENDPOINT_DOWN: frozenset[str] = frozenset({"timeout", "unreachable", "unauthorized", "error"})


def failure_reason(exc: BaseException) -> Reason | None:
    """'timeout', 'unreachable', 'unauthorized' (401/403), 'rejected' (this one request: a bad request, a
    context overflow, a refusal), 'error' (any other endpoint error: 404, 429, 5xx); None when the exception
    is not a model-endpoint failure (a bug, a reply that does not parse)."""
    import httpx
    from langchain_core.exceptions import (
        ContextOverflowError,
        ModelAuthenticationError,
        ModelConnectionError,
        ModelError,
        ModelInvalidRequestError,
        ModelPermissionDeniedError,
        ModelRefusalError,
        ModelTimeoutError,
    )

    timeout: tuple[type[BaseException], ...] = (ModelTimeoutError, httpx.TimeoutException)
    unreachable: tuple[type[BaseException], ...] = (ModelConnectionError, httpx.TransportError)
    unauthorized: tuple[type[BaseException], ...] = (ModelAuthenticationError, ModelPermissionDeniedError)
    rejected: tuple[type[BaseException], ...] = (ContextOverflowError, ModelInvalidRequestError, ModelRefusalError)
    other: tuple[type[BaseException], ...] = (ModelError, httpx.HTTPError)
    try:
        import openai
    except ImportError:
        pass
    else:
        timeout += (openai.APITimeoutError,)
        unreachable += (openai.APIConnectionError,)
        unauthorized += (openai.AuthenticationError, openai.PermissionDeniedError)
        rejected += (openai.BadRequestError,)
        other += (openai.APIError,)
    # order matters: a timeout is also a connection error
    for reason, kinds in (("timeout", timeout), ("unreachable", unreachable), ("unauthorized", unauthorized),
                          ("rejected", rejected), ("error", other)):
        if isinstance(exc, kinds):
            return reason  # type: ignore[return-value]
    return None
