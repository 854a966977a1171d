"""The fake GitHub REST API: a real HTTP server on 127.0.0.1 that PyGithub talks to.

Every request is checked against GitHub's OpenAPI description before anything else: an
unknown route answers 404 and a request that breaks the description answers 400, both
with the violation in the message, and both are recorded so that a test fails at teardown.
`POST /graphql` is checked against the committed subset of GitHub's GraphQL schema instead
(graphql.py).
Then come scripted faults, authentication and permissions (like GITHUB_TOKEN's), and the
operation itself. Responses are checked against the description too.

The control API under `/_fake/` (not part of GitHub) lets a test seed and inspect the
state when the fake runs as a separate process.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from . import graphql
from .handlers import HANDLERS, PERMISSIONS, Call, Response, error
from .spec import GitHubDescription, load_description
from .state import DEFAULT_TOKEN, FakeState, Fault, RequestRecord

# State methods callable over the control API (`POST /_fake/call`).
CONTROL_METHODS = frozenset({
    "add_repo", "add_token", "add_pull", "add_pull_from_event", "add_comment",
    "add_issue", "add_label", "add_commit", "set_issues_enabled",
    "add_workflow_run", "add_artifact", "script", "take_violations", "comments_on",
    "issues_in", "labels_in", "check_runs_for", "requests_for", "snapshot",
})
_LEVEL = {"read": 1, "write": 2, "admin": 3}


class FakeGitHub:
    """Start with `with FakeGitHub() as fake:`; point PyGithub at `fake.url`."""

    token = DEFAULT_TOKEN

    def __init__(self, state: FakeState | None = None, *, host: str = "127.0.0.1", port: int = 0,
                 repos: tuple[str, ...] = ()) -> None:
        self.repos = repos  # created at start and again by `reset`
        self.state = state or FakeState()
        for repo in repos:
            self.state.add_repo(repo)
        self.spec: GitHubDescription = load_description()
        self._validate_lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((host, port), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.fake = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeGitHub:
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-github", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def reset(self) -> None:
        """Forget everything seeded, requested and recorded: a new state with the
        repositories the fake started with, as if it had just started."""
        state = FakeState()
        for repo in self.repos:
            state.add_repo(repo)
        self.state = state

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __getattr__(self, name: str) -> Any:
        # fake.add_pull(...) reads like remote.add_pull(...) for the subprocess variant.
        if name in CONTROL_METHODS:
            return getattr(self.state, name)
        raise AttributeError(name)

    def assert_no_violations(self) -> None:
        found = self.state.take_violations()
        assert not found, "requests broke GitHub's OpenAPI description:\n" + "\n".join(found)

    # --- the API ---------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict[str, str], raw: bytes,
               headers: dict[str, str]) -> tuple[Response, str | None, Any]:
        state = self.state
        if method == "POST" and path == "/graphql":
            return self.handle_graphql(raw, headers)
        match = self.spec.match(method, path)
        if match is None:
            allowed = self.spec.methods_for(path)
            why = (f"method not in the description (it has {', '.join(allowed)})" if allowed
                   else "no such route in GitHub's OpenAPI description")
            violation = f"{method} {path}: {why}"
            state.record_violation(violation)
            return error(404, f"Not Found (fake GitHub: {violation})"), None, None
        op = match.route.operation_id
        content_type = headers.get("content-type", "")
        with self._validate_lock:
            problems = self.spec.request_violations(match, path, query, raw, content_type)
        if problems:
            for p in problems:
                state.record_violation(f"{method} {path} ({op}): {p}")
            return error(400, "request violates GitHub's OpenAPI description: " + "; ".join(problems)), op, None
        body = json.loads(raw) if raw else None

        fault = state.take_fault(op)
        if fault is not None:
            return Response(fault.status, fault.body, dict(fault.headers)), op, body

        token = _token(headers)
        if not token:
            return error(401, "Requires authentication"), op, body
        perms = state.tokens.get(token)
        if perms is None:
            return error(401, "Bad credentials"), op, body
        allowed_by = PERMISSIONS[op]
        if not any(_LEVEL.get(perms.get(p, ""), 0) >= _LEVEL[lvl] for p, lvl in allowed_by):
            resp = error(403, "Resource not accessible by integration")
            resp.headers["x-accepted-github-permissions"] = "; ".join(f"{p}={lvl}" for p, lvl in allowed_by)
            return resp, op, body

        host = headers.get("host", f"127.0.0.1:{self.port}")
        other = host.replace("127.0.0.1", "localhost") if host.startswith("127.0.0.1") \
            else host.replace("localhost", "127.0.0.1")
        call = Call(state=state, spec=self.spec, base_url=f"http://{host}", blob_base_url=f"http://{other}",
                    path=path, params=match.path_params, query=query, body=body, token=token)
        resp = HANDLERS[op](call)
        if resp.body is not None:
            payload = json.dumps(resp.body).encode()
            with self._validate_lock:
                wrong = self.spec.response_violations(
                    match, path, query, resp.status, payload, {"Content-Type": "application/json"})
            for w in wrong:
                state.record_violation(f"fake's own response to {method} {path} ({op}): {w}")
        return resp, op, body


    def handle_graphql(self, raw: bytes, headers: dict[str, str]) -> tuple[Response, str | None, Any]:
        """GraphQL: the query checked against the schema subset, answered as the token's account."""
        op = "graphql"
        with self._validate_lock:
            problems, body = graphql.query_violations(raw)
        if problems:
            for p in problems:
                self.state.record_violation(f"POST /graphql: {p}")
            return Response(200, {"errors": [{"message": p} for p in problems]}), op, body or None
        fault = self.state.take_fault(op)
        if fault is not None:
            return Response(fault.status, fault.body, dict(fault.headers)), op, body
        token = _token(headers)
        if not token or token not in self.state.tokens:
            return error(401, "Bad credentials" if token else "Requires authentication"), op, body
        with self._validate_lock:
            return Response(200, graphql.answer(body, self.state.identity(token))), op, body


def _token(headers: dict[str, str]) -> str:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() in ("token", "bearer") else ""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-github"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # keep test output clean; the request log lives in the state

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def do_PATCH(self) -> None:  # noqa: N802
        self._dispatch("PATCH")

    def do_PUT(self) -> None:  # noqa: N802
        self._dispatch("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self._dispatch("DELETE")

    @property
    def fake(self) -> FakeGitHub:
        return self.server.fake  # type: ignore[attr-defined]

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        if url.path.startswith("/_fake/"):
            self._send(self._control(method, url.path, raw, headers))
            return
        try:
            resp, op, body = self.fake.handle(method, url.path, query, raw, headers)
        except Exception as exc:  # a bug in the fake must fail the test, not hang it
            self.fake.state.record_violation(f"fake GitHub crashed on {method} {url.path}: {exc!r}")
            resp, op, body = error(500, f"fake GitHub crashed: {exc!r}"), None, None
        state = self.fake.state
        with state.lock:
            state.requests.append(RequestRecord(method, url.path, query, op, resp.status,
                                                authorized=bool(headers.get("authorization")),
                                                body=body, at=time.time()))
            if op is not None and resp.status < 500:
                state.rate_remaining = max(state.rate_remaining - 1, 0)
            remaining = state.rate_remaining
        rate = {"x-ratelimit-limit": "5000", "x-ratelimit-remaining": str(remaining),
                "x-ratelimit-used": str(5000 - remaining), "x-ratelimit-resource": "core",
                "x-ratelimit-reset": str(int(time.time()) + 3600),
                "x-github-request-id": f"FAKE:{len(state.requests)}"}
        resp.headers = rate | resp.headers
        self._send(resp)

    def _control(self, method: str, path: str, raw: bytes, headers: dict[str, str]) -> Response:
        state = self.fake.state
        if path.startswith("/_fake/blobs/") and method == "GET":
            artifact = state.artifacts.get(int(path.rsplit("/", 1)[1]))
            with state.lock:
                state.blob_downloads.append({
                    "artifact_id": artifact.id if artifact else None,
                    "authorization_sent": "authorization" in headers,
                })
            if artifact is None:
                return Response(404, raw=b"BlobNotFound")
            return Response(200, raw=artifact.zip_bytes, headers={"Content-Type": "application/zip"})
        if path == "/_fake/reset" and method == "POST":
            self.fake.reset()
            return Response(200, {"result": None})
        if path == "/_fake/state" and method == "GET":
            return Response(200, state.snapshot())
        if path == "/_fake/violations" and method == "GET":
            return Response(200, list(state.violations))
        if path == "/_fake/call" and method == "POST":
            req = json.loads(raw or b"{}")
            name = req.get("method")
            if name not in CONTROL_METHODS:
                return Response(400, {"error": f"unknown control method {name!r}"})
            args = req.get("args", [])
            if name == "script":
                args = [args[0], *(Fault(**f) for f in args[1:])]
            try:
                result = getattr(state, name)(*args, **req.get("kwargs", {}))
            except Exception as exc:
                return Response(400, {"error": f"{name} failed: {exc!r}"})
            return Response(200, {"result": result})
        return Response(404, {"error": f"unknown control path {method} {path}"})

    def _send(self, resp: Response) -> None:
        if resp.raw is not None:
            payload = resp.raw
            ctype = resp.headers.pop("Content-Type", "application/octet-stream")
        elif resp.body is not None:
            payload = json.dumps(resp.body).encode()
            ctype = "application/json; charset=utf-8"
        else:
            payload, ctype = b"", None
        self.send_response(resp.status)
        for k, v in resp.headers.items():
            self.send_header(k, v)
        if ctype:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload:
            self.wfile.write(payload)


def fault_to_dict(fault: Fault) -> dict[str, Any]:
    return asdict(fault)
