"""What every markwatch HTTP app shares: one request-body limit, and 422 answers that never
echo the request back (a 600 MB body must not come back in the error)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

__all__ = ["MAX_BODY_BYTES", "BodyLimit", "quiet_validation_errors", "validation_detail"]

# Twenty base64 images of 15 MB each would already be 400 MB: refuse well before that.
MAX_BODY_BYTES = 60_000_000
_MAX_ERRORS = 10
_MAX_MESSAGE = 300


def _megabytes(limit: int) -> str:
    return f"{limit / 1_000_000:g} MB"


class BodyLimit:
    """ASGI middleware refusing request bodies over `limit` bytes before they are read into
    memory (FastAPI parses a body before any endpoint code could look at its size): a
    declared Content-Length over it at once, a streamed body as soon as it passes it."""

    def __init__(self, app: Any, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > self.limit:
            await self._refuse(send)
            return
        # Read the body here, up to the limit, and hand it on whole: refusing half-way through
        # a route's own read would surface as a server error, not a 413.
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > self.limit:
                await self._refuse(send)
                return
            if not message.get("more_body", False):
                break
        handed = False

        async def replay() -> dict[str, Any]:
            nonlocal handed
            if not handed:
                handed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()  # after the body: only the disconnect is left to hear

        await self.app(scope, replay, send)

    async def _refuse(self, send: Any) -> None:
        body = json.dumps({"detail": f"request body over {_megabytes(self.limit)}"}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


def validation_detail(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Where and what, without the offending input (FastAPI's default echoes it whole)."""
    out = []
    for error in exc.errors()[:_MAX_ERRORS]:
        out.append({"loc": [str(p)[:100] for p in error.get("loc", ())][:10],
                    "msg": str(error.get("msg", ""))[:_MAX_MESSAGE],
                    "type": str(error.get("type", ""))[:50]})
    return out


def quiet_validation_errors(app: FastAPI) -> None:
    """Answer request validation errors with 422 and `validation_detail`, no input echoed."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": validation_detail(exc)}, status_code=422)
