"""GitHub's OpenAPI description (the committed subset) as a request/response checker.

Requests are checked against the description with openapi-core: path, method, path and
query parameters, request body. Two checks go further than the description itself, on
purpose, to catch client mistakes that GitHub silently ignores:

- a query parameter the operation does not declare is a violation;
- a request body key the schema does not declare is a violation (object schemas in request
  bodies are made closed: ``additionalProperties: false``).

The fake's own responses are checked too, so that a body it invents can't drift from the
description unnoticed.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "github"
SPEC_PATH = FIXTURES / "openapi.json"
# openapi-core matches the request's host against the description's `servers`.
SPEC_HOST = "https://api.github.com"
_MAX_DETAIL = 160


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    operation_id: str
    pattern: re.Pattern[str]
    query_params: frozenset[str]
    statuses: frozenset[str]


@dataclass(frozen=True)
class Match:
    route: Route
    path_params: dict[str, str]


def _resolve(spec: Mapping[str, Any], node: Any) -> Any:
    while isinstance(node, Mapping) and "$ref" in node:
        ref = node["$ref"]
        target: Any = spec
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _close_objects(schema: Any) -> None:
    """Make inline object schemas reject undeclared keys (recursively, not through $ref)."""
    if not isinstance(schema, dict) or "$ref" in schema:
        return
    composed = any(k in schema for k in ("allOf", "oneOf", "anyOf"))
    if "properties" in schema and "additionalProperties" not in schema and not composed:
        schema["additionalProperties"] = False
    for prop in (schema.get("properties") or {}).values():
        _close_objects(prop)
    if isinstance(schema.get("items"), dict):
        _close_objects(schema["items"])
    for key in ("allOf", "oneOf", "anyOf"):
        for sub in schema.get(key) or []:
            _close_objects(sub)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 1] + "…"


def _describe(error: BaseException) -> str:
    """One line per problem: where in the document, what rule, never the whole value."""
    parts: list[str] = []
    cause: BaseException | None = error
    while cause is not None:
        schema_errors: Iterable[Any] = getattr(cause, "schema_errors", None) or ()
        for se in schema_errors:
            rule = f"{se.validator}={_short(json.dumps(se.validator_value, default=str))}"
            parts.append(f"{se.json_path}: {rule}: {_short(se.message)}")
        if parts:
            break
        cause = cause.__cause__ or cause.__context__
    head = type(error).__name__
    name = getattr(error, "name", None)
    if name:
        head += f" ({getattr(error, 'location', '')} parameter {name!r})"
    if not parts and error.__cause__ is not None:
        parts.append(_short(str(error.__cause__)))
    return head + (": " + "; ".join(parts) if parts else "")


class GitHubDescription:
    """Routes and validators built from the committed OpenAPI subset."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.raw = spec
        self.source = spec["info"].get("x-lanebench-source", {})
        strict = copy.deepcopy(spec)
        self.routes: list[Route] = []
        for template, item in strict["paths"].items():
            for method, op in item.items():
                params = [_resolve(strict, p) for p in op.get("parameters", [])]
                body = op.get("requestBody", {}).get("content", {}).get("application/json")
                if body and "schema" in body:
                    _close_objects(body["schema"])
                regex = "^" + re.sub(r"\\\{([a-z_]+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$"
                self.routes.append(Route(
                    method=method.upper(),
                    template=template,
                    operation_id=op["operationId"],
                    pattern=re.compile(regex),
                    query_params=frozenset(p["name"] for p in params if p.get("in") == "query"),
                    statuses=frozenset(op.get("responses", {})),
                ))
        # Templates with fewer parameters (more literal segments) win ties.
        self.routes.sort(key=lambda r: r.template.count("{"))
        self.api = OpenAPI.from_dict(strict)

    def example(self, name: str) -> Any:
        """A deep copy of `components.examples[name].value`."""
        return copy.deepcopy(self.raw["components"]["examples"][name]["value"])

    def match(self, method: str, path: str) -> Match | None:
        for route in self.routes:
            if route.method != method:
                continue
            m = route.pattern.match(path)
            if m:
                return Match(route, m.groupdict())
        return None

    def methods_for(self, path: str) -> list[str]:
        return sorted({r.method for r in self.routes if r.pattern.match(path)})

    def request_violations(
        self,
        match: Match,
        path: str,
        query: Mapping[str, str],
        body: bytes,
        content_type: str,
    ) -> list[str]:
        route = match.route
        found: list[str] = []
        for name in sorted(set(query) - route.query_params):
            allowed = ", ".join(sorted(route.query_params)) or "none"
            found.append(f"query parameter {name!r} is not declared (allowed: {allowed})")
        request = MockRequest(
            SPEC_HOST,
            route.method.lower(),
            path,
            args=dict(query),
            data=body or None,
            content_type=content_type or "application/json",
        )
        for err in self.api.iter_request_errors(request):
            found.append(_describe(err))
        return found

    def response_violations(
        self, match: Match, path: str, query: Mapping[str, str], status: int, body: bytes,
        headers: Mapping[str, str],
    ) -> list[str]:
        if str(status) not in match.route.statuses:
            return []  # error statuses GitHub does not document per operation (401, 5xx, ...)
        request = MockRequest(SPEC_HOST, match.route.method.lower(), path, args=dict(query))
        response = MockResponse(
            body, status_code=status, headers=dict(headers),
            content_type=headers.get("Content-Type", "application/json").split(";")[0],
        )
        return [_describe(err) for err in self.api.iter_response_errors(request, response)]


@lru_cache(maxsize=1)
def load_description(path: Path = SPEC_PATH) -> GitHubDescription:
    return GitHubDescription(json.loads(path.read_text(encoding="utf-8")))
