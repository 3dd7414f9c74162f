"""The HTTP API (FastAPI): routes, callers, errors. The work itself is :class:`serve.service.Service`'s.

| route | who may call |
| --- | --- |
| ``GET /v1/health``, ``GET /widget.js``, ``GET /`` | anyone |
| ``POST /v1/ask``, ``POST /v1/chat/completions``, ``GET /v1/models[/{id}]`` | token holders; anyone in public mode |
| ``GET /v1/sources/{id}``, ``GET /v1/threads/{id}`` | token holders |

Every error is one JSON object in OpenAI's shape: ``{"error": {"message", "type", "code"}}``.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware

from serve import openai_compat as oai
from serve import sse
from serve.limits import Busy
from serve.middleware import BodyLimit, InternalErrors
from serve.service import Principal, Service, TurnRequest, TurnTimeout
from serve.sources import NoteNotFound
from serve.tokens import TokenError, TokenRecord
from serve.turns import public_result
from twin.config import NODE_NAMES

STATIC = Path(__file__).with_name("static")
REPLACE_NOTE = "\n\n[judged answer]\n"  # OpenAI streams cannot retract text: the judged answer follows


class ApiError(Exception):
    def __init__(self, status: int, message: str, kind: str, code: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.kind, self.code, self.headers = status, message, kind, code, headers or {}


def busy_error(exc: Busy) -> ApiError:
    return ApiError(429, str(exc), "rate_limit_exceeded", "busy", {"Retry-After": str(exc.retry_after)})


def turn_failure(exc: BaseException) -> str:
    """What a caller is told when a turn fails: that it failed, not why. The reason (a model
    file's path, an Ollama host, a traceback) goes to the server's log, where the operator
    reads it; a public visitor of the widget never sees it."""
    logging.getLogger("twin.serve").error("a turn failed: %s", exc, exc_info=exc)
    return "the twin could not answer; the server's log says why"


def validation_message(error: dict[str, Any]) -> str:
    """A request validation error in words: the field and what is wrong with it, or what is
    wrong with the body as a whole (not JSON, empty, not an object, sent without a JSON content type)."""
    loc = tuple(error.get("loc", ()))
    if error.get("type") == "json_invalid":
        reason = (error.get("ctx") or {}).get("error", "")
        at = f" at character {loc[1]}" if len(loc) > 1 else ""
        return f"the body is not valid JSON ({reason}{at})" if reason else f"the body is not valid JSON{at}"
    if loc == ("body",):
        if error.get("type") == "missing":
            return "the body is empty: send a JSON object (Content-Type: application/json)"
        if isinstance(error.get("input"), (bytes, str)):
            return "the body was not read as JSON: send it with Content-Type: application/json"
        return "the body must be a JSON object"
    where = ".".join(str(p) for p in loc if p != "body")
    return f"{where}: {error.get('msg')}" if where else str(error.get("msg"))


class AskBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str
    thread_id: str | None = None  # continue this thread; none = a new one (its id comes back)
    profile: str = "twin"
    off: list[str] = Field(default_factory=list)  # nodes to switch off (only those the operator allows)
    stream: bool = False


class ChatBody(BaseModel):
    model_config = ConfigDict(extra="allow")  # OpenAI clients send temperature, stream_options, ...

    model: str = "twin"
    messages: list[Any]
    stream: bool = False
    stream_options: dict[str, Any] | None = None  # include_usage: a last chunk with the usage
    thread_id: str | None = None  # Twin extra: keep the conversation server-side in this thread
    off: list[str] = Field(default_factory=list)  # Twin extra: nodes to switch off


def create_app(service: Service) -> FastAPI:
    serve_cfg = service.config.serve

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        # uvicorn has already waited for every open response (shutdown_grace_s); now let any
        # admitted answer whose caller left finish and be saved, then close the stores.
        await asyncio.to_thread(service.close)

    app = FastAPI(title="Twin", version="1", lifespan=lifespan, docs_url="/docs", redoc_url=None)
    app.state.service = service
    app.add_middleware(BodyLimit, max_bytes=serve_cfg.max_body_bytes)
    internal_error = oai.error_body("internal server error", "server_error", "internal_error")  # a bug's 500
    app.add_middleware(InternalErrors, body=internal_error)  # inside CORS: a 500 carries its headers too
    if serve_cfg.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=serve_cfg.cors_origins, allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type"], expose_headers=["Retry-After"],
                           max_age=600)

    # -- errors -----------------------------------------------------------------------
    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(oai.error_body(exc.message, exc.kind, exc.code), exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        return JSONResponse(oai.error_body(validation_message(first), "invalid_request_error"), 400)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(oai.error_body(str(exc.detail), "invalid_request_error"), exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        """The last resort, for a failure in the outer middleware itself: a bug in a route is
        answered by :class:`InternalErrors`, inside CORS (uvicorn logs the traceback either way)."""
        return JSONResponse(internal_error, 500)

    # -- callers ----------------------------------------------------------------------
    def verified(token: str) -> TokenRecord | None:
        """The token's record, or None; a tokens file broken while the server runs is a JSON 500."""
        try:
            return service.tokens.verify(token)
        except TokenError as exc:
            raise ApiError(500, "the server cannot read its tokens file; its operator must fix it",
                           "server_error", "tokens_file_invalid") from exc

    def caller(request: Request, ask: bool) -> Principal:
        header = request.headers.get("authorization", "")
        if header:
            scheme, _, token = header.partition(" ")
            record = verified(token.strip()) if scheme.lower() == "bearer" else None
            if record is None:
                raise ApiError(401, "invalid or revoked token", "authentication_error", "invalid_token",
                               {"WWW-Authenticate": 'Bearer error="invalid_token"'})
            principal = Principal.from_token(record)
        elif ask and serve_cfg.public:
            principal = Principal("anonymous", request.client.host if request.client else "unknown")
        else:
            what = "this endpoint needs a token even in public mode" if serve_cfg.public else "a token is required"
            raise ApiError(401, f"{what}: send Authorization: Bearer <token> (`twin serve token create NAME`)",
                           "authentication_error", "missing_token", {"WWW-Authenticate": "Bearer"})
        wait = service.limiter.check(principal.key, principal.rate_limit_per_minute)
        if wait:
            raise ApiError(429, f"rate limit reached for this {'token' if principal.kind == 'token' else 'address'}; "
                           f"retry in {math.ceil(wait)} s", "rate_limit_exceeded", "rate_limited",
                           {"Retry-After": str(math.ceil(wait))})
        return principal

    def ask_caller(request: Request) -> Principal:
        return caller(request, ask=True)

    def token_caller(request: Request) -> Principal:
        return caller(request, ask=False)

    def pickable(principal: Principal, name: str) -> Any:
        """The profile ``name`` if this caller may pick it; one an anonymous visitor may not pick is
        a 404 like a missing one (its name is not theirs to learn)."""
        profile = service.profiles.get(name)
        if profile is None or (principal.kind == "anonymous" and not profile.public):
            raise ApiError(404, f"no model {name!r}; GET /v1/models lists them", "invalid_request_error",
                           "model_not_found")
        return profile

    def turn_request(principal: Principal, question: str, profile_name: str, off: list[str],
                     thread_id: str | None, history: list[tuple[str, str]] | None, new_thread: bool) -> TurnRequest:
        question = question.strip()
        if not question:
            raise ApiError(400, "the question is empty", "invalid_request_error", "empty_question")
        if len(question) > serve_cfg.max_question_chars:
            raise ApiError(400, f"the question is {len(question)} characters; the limit is "
                           f"serve.max_question_chars = {serve_cfg.max_question_chars}", "invalid_request_error",
                           "question_too_long")
        profile = pickable(principal, profile_name)
        unknown = [n for n in off if n not in NODE_NAMES]
        if unknown:
            raise ApiError(400, f"unknown node {unknown[0]!r}; nodes: {', '.join(NODE_NAMES)}",
                           "invalid_request_error", "unknown_node")
        refused = [n for n in off if principal.kind != "token" or n not in serve_cfg.toggleable]
        if refused:
            allowed = ", ".join(serve_cfg.toggleable) if principal.kind == "token" else "none without a token"
            raise ApiError(403, f"switching off {refused[0]!r} is not allowed here (serve.toggleable: "
                           f"{allowed or 'none'})", "permission_error", "toggle_not_allowed")
        stored = None
        if thread_id is None and new_thread:
            thread_id = service.new_thread_id()
        if thread_id is not None:
            problem = service.check_thread_id(principal, thread_id)
            if problem:
                raise ApiError(400, problem, "invalid_request_error", "bad_thread_id")
            stored = service.thread_key(principal, thread_id)
        return TurnRequest(question, profile, service.toggles(profile, off), thread_id, stored, history)

    no_result = "the turn ended without a result"

    def open_turn(turn: TurnRequest) -> AsyncIterator[Any]:
        try:
            return service.open_turn(turn)
        except Busy as exc:
            raise busy_error(exc) from exc

    async def whole_answer(turn: TurnRequest) -> tuple[dict[str, Any], bool]:
        replaced = False
        events = open_turn(turn)
        try:
            async for event in events:
                if event.kind == "replace":
                    replaced = True
                elif event.kind == "result":
                    return event.data, replaced
        except Busy as exc:
            raise busy_error(exc) from exc
        except TurnTimeout as exc:
            raise ApiError(504, str(exc), "timeout", "request_timeout") from exc
        except Exception as exc:
            raise ApiError(502, turn_failure(exc), "server_error", "turn_failed") from exc
        raise ApiError(502, no_result, "server_error", "turn_failed")

    def result_json(turn: TurnRequest, raw: dict[str, Any], replaced: bool) -> dict[str, Any]:
        out = public_result(raw)
        return {**out, "thread_id": turn.thread_id, "profile": turn.profile.name, "replaced": replaced}

    async def stream_errors(events: AsyncIterator[Any], on_error: Any) -> AsyncIterator[Any]:
        """Yield events; a failure mid-stream becomes one error event (the status is already sent),
        and so does a turn that ends without its result (its runner stopped early, as when the
        server shuts down): else the stream would just stop, and a cut-off answer look whole."""
        answered = False
        try:
            async for event in events:
                answered = answered or event.kind == "result"
                yield event
        except Busy as exc:
            yield on_error(str(exc), "rate_limit_exceeded", "busy")
        except TurnTimeout as exc:
            yield on_error(str(exc), "timeout", "request_timeout")
        except Exception as exc:
            yield on_error(turn_failure(exc), "server_error", "turn_failed")
        else:
            if not answered:
                yield on_error(no_result, "server_error", "turn_failed")

    # -- routes -----------------------------------------------------------------------
    @app.api_route("/v1/health", methods=["GET", "HEAD"])  # HEAD: uptime monitors, load balancers
    async def health() -> dict[str, Any]:
        return service.health()

    @app.get("/v1/models")
    async def models(principal: Principal = Depends(ask_caller)) -> dict[str, Any]:
        visible = [p for p in service.profiles.values() if principal.kind == "token" or p.public]
        return oai.model_list(visible)

    @app.get("/v1/models/{model_id}")
    async def model(model_id: str, principal: Principal = Depends(ask_caller)) -> dict[str, Any]:
        """One model, as ``client.models.retrieve("twin")`` asks for it."""
        return oai.model(pickable(principal, model_id))

    @app.post("/v1/ask", response_model=None)
    async def ask(body: AskBody, principal: Principal = Depends(ask_caller)) -> Any:
        turn = turn_request(principal, body.question, body.profile, body.off, body.thread_id, None, True)
        if not body.stream:
            raw, replaced = await whole_answer(turn)
            return result_json(turn, raw, replaced)
        events = open_turn(turn)

        async def body_stream() -> AsyncIterator[bytes]:
            yield sse.event({"thread_id": turn.thread_id, "profile": turn.profile.name}, "start")
            replaced = False
            async for event in stream_errors(events, lambda m, k, c: ("error", oai.error_body(m, k, c))):
                if isinstance(event, tuple):
                    yield sse.event(event[1], event[0])
                elif event.kind == "waiting":
                    yield sse.comment("waiting")
                elif event.kind == "progress":
                    if event.text:
                        yield sse.event({"node": event.node, "text": event.text}, "status")
                elif event.kind in ("token", "replace"):
                    replaced = replaced or event.kind == "replace"
                    yield sse.event({"text": event.text}, event.kind)
                elif event.kind == "result":
                    yield sse.event(result_json(turn, event.data, replaced), "result")

        return StreamingResponse(body_stream(), media_type="text/event-stream", headers=sse.HEADERS)

    @app.post("/v1/chat/completions", response_model=None)
    async def chat_completions(body: ChatBody, principal: Principal = Depends(ask_caller)) -> Any:
        if len(body.messages) > serve_cfg.max_messages:
            raise ApiError(400, f"{len(body.messages)} messages; the limit is serve.max_messages = "
                           f"{serve_cfg.max_messages}", "invalid_request_error", "too_many_messages")
        try:
            question, history = oai.split_messages(body.messages)
        except oai.BadMessages as exc:
            raise ApiError(400, str(exc), "invalid_request_error", "bad_messages") from exc
        turn = turn_request(principal, question, body.model, body.off, body.thread_id,
                            None if body.thread_id else history, False)
        cid = oai.new_id()

        def extras(raw: dict[str, Any], replaced: bool) -> dict[str, Any]:
            out = result_json(turn, raw, replaced)
            return {k: out[k] for k in ("thread_id", "route", "query", "sources", "judge", "timings_ms", "replaced")}

        def usage(completion: str) -> Any:
            """The turn's usage (see :meth:`Service.usage`), counted off the event loop."""
            prompt = [turn.question, *(text for _, text in turn.history or [])]
            return asyncio.to_thread(service.usage, turn.profile, prompt, completion)

        if not body.stream:
            raw, replaced = await whole_answer(turn)
            answer = raw.get("answer", "")
            return oai.completion(cid, turn.profile.name, answer, extras(raw, replaced), await usage(answer))
        events = open_turn(turn)
        with_usage = bool((body.stream_options or {}).get("include_usage"))

        def piece(delta: dict[str, Any], finish: str | None = None, twin: dict[str, Any] | None = None) -> bytes:
            return sse.event(oai.chunk(cid, turn.profile.name, delta, finish, twin, with_usage))

        async def body_stream() -> AsyncIterator[bytes]:
            yield piece({"role": "assistant", "content": ""})
            replaced, sent = False, []
            async for event in stream_errors(events, lambda m, k, c: oai.error_body(m, k, c)):
                if isinstance(event, dict):
                    yield sse.event(event)
                    break
                if event.kind == "waiting":
                    yield sse.comment("waiting")
                elif event.kind in ("token", "replace"):
                    replaced = replaced or event.kind == "replace"
                    sent.append(event.text if event.kind == "token" else REPLACE_NOTE + event.text)
                    yield piece({"content": sent[-1]})
                elif event.kind == "result":
                    yield piece({}, "stop", extras(event.data, replaced))
                    counted = await usage("".join(sent)) if with_usage else None
                    if counted is not None:
                        yield sse.event(oai.usage_chunk(cid, turn.profile.name, counted))
            yield sse.event("[DONE]")

        return StreamingResponse(body_stream(), media_type="text/event-stream", headers=sse.HEADERS)

    @app.get("/v1/sources/{source_id:path}")
    async def source(source_id: str, principal: Principal = Depends(token_caller)) -> dict[str, Any]:
        try:
            return await asyncio.to_thread(service.notes.get, source_id)
        except NoteNotFound as exc:
            raise ApiError(404, "no such public note", "not_found_error", "source_not_found") from exc

    @app.get("/v1/threads/{thread_id}")
    async def thread(thread_id: str, principal: Principal = Depends(token_caller)) -> dict[str, Any]:
        problem = service.check_thread_id(principal, thread_id)
        if problem:
            raise ApiError(400, problem, "invalid_request_error", "bad_thread_id")
        stored = service.thread_key(principal, thread_id)
        messages = await asyncio.to_thread(service.history, service.profiles["twin"], stored)
        if not messages:
            raise ApiError(404, "no such thread", "not_found_error", "thread_not_found")
        return {"thread_id": thread_id, "messages": messages}

    @app.api_route("/widget.js", methods=["GET", "HEAD"], include_in_schema=False)
    async def widget() -> FileResponse:
        return FileResponse(STATIC / "twin-widget.js", media_type="text/javascript",
                            headers={"Cache-Control": "public, max-age=300"})

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    async def index(request: Request) -> HTMLResponse:
        from html import escape

        page = (STATIC / "index.html").read_text(encoding="utf-8")
        origin = f"{request.url.scheme}://{request.url.netloc}"
        return HTMLResponse(page.replace("{{person}}", escape(service.config.person)).replace("{{origin}}", escape(origin)))

    return app
