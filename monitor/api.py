"""The HTTP API: `POST /api/clearance` checks a listing as `markwatch clear` does. `router`
is importable without side effects; an app that includes it sets its `Clearance` with
`set_clearance(app, clearance)`, and `create_api_app(registries)` builds a standalone one."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, FastAPI, HTTPException, Request
from pydantic import BaseModel, Field

from monitor._http import MAX_BODY_BYTES, BodyLimit, quiet_validation_errors
from monitor.clearance import Clearance, ClearanceListing, decode_images
from monitor.errors import InputError
from monitor.registry import Registry, load_registry

__all__ = ["MAX_BODY_BYTES", "router", "ClearanceFindingOut", "ClearanceOut", "BodyLimit", "set_clearance",
           "create_api_app"]

router = APIRouter(prefix="/api", tags=["clearance"])


class ClearanceFindingOut(BaseModel):
    kind: Literal["mark", "image", "replica_wording", "price", "seller", "compatibility", "risk",
                  "patent_claim", "copied_text", "design"]
    severity: Literal["low", "medium", "high"]
    brand: str | None = Field(description="The brand whose registry the finding comes from.")
    message: str
    fix: str = Field(description="A concrete change that would clear the finding.")
    field: str | None = Field(default=None, description="title, description, bullet N, price, seller or image.")
    start: int | None = Field(default=None, description="Start of the evidence span in `field`.")
    end: int | None = Field(default=None, description="End of the evidence span in `field`.")
    evidence: str | None = None
    image: str | None = Field(default=None, description="Which image, for image findings.")
    region: list[int] | None = Field(default=None, description="x0, y0, x1, y1 in the image's pixels.")


class ClearanceOut(BaseModel):
    verdict: Literal["pass", "review", "block"]
    findings: list[ClearanceFindingOut]


def set_clearance(app: FastAPI, clearance: Clearance) -> None:
    """Give an app that includes `router` the registries to check against."""
    app.state.markwatch_clearance = clearance


@router.post(
    "/clearance",
    response_model=ClearanceOut,
    summary="Check a listing before it is published",
    description="The listing JSON of `markwatch clear`: title, description, bullet_points, price, "
    "currency, seller, platform and images as data: URIs (file paths are refused over HTTP). "
    "The verdict is pass, review or block, with findings, each with its evidence and a fix.",
    responses={413: {"description": "The request body is too large."},
               422: {"description": "The listing or one of its images is unusable."},
               503: {"description": "The server has no brand registries to check against."}},
)
def post_clearance(listing: ClearanceListing, request: Request) -> ClearanceOut:
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_BODY_BYTES:
        raise HTTPException(413, f"request body over {MAX_BODY_BYTES // 1_000_000} MB")
    clearance: Clearance | None = getattr(request.app.state, "markwatch_clearance", None)
    if clearance is None:
        raise HTTPException(503, "clearance is not configured on this server (no brand registries)")
    try:
        images = decode_images(listing.images, allow_paths=False)
        result = clearance.check(listing, images)
    except InputError as exc:
        raise HTTPException(422, str(exc)) from None
    return ClearanceOut.model_validate(result.as_dict())


def create_api_app(registries: Sequence[Registry | str | Path] | Clearance, *,
                   max_body_bytes: int = MAX_BODY_BYTES) -> FastAPI:
    """A FastAPI app serving the clearance API for these registries (or a built Clearance)."""
    if isinstance(registries, Clearance):
        clearance = registries
    else:
        clearance = Clearance([r if isinstance(r, Registry) else load_registry(r) for r in registries])
    app = FastAPI(title="markwatch clearance", version="0.1.0",
                  description="Pre-listing clearance: check a listing against brands' registered "
                  "marks, logos and photographs before publishing it.")
    app.include_router(router)
    app.add_middleware(BodyLimit, limit=max_body_bytes)
    quiet_validation_errors(app)
    set_clearance(app, clearance)
    return app
