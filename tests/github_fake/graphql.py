"""GitHub's GraphQL endpoint (`POST /graphql`), as far as lanebench uses it.

The committed subset of GitHub's GraphQL schema (tests/fixtures/github/schema.graphql,
made by scripts/extract_github_fixtures.py from @octokit/graphql-schema) checks every
query: a field the subset lacks, a wrong argument or a syntax error is a violation, and the
answer is GitHub's shape for it (`{"errors": [...]}` with status 200). A valid query is
executed against the subset with the caller's identity as `viewer`, so the answer has
exactly the shape GitHub would give that query.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from graphql import GraphQLError, GraphQLSchema, build_schema, graphql_sync, parse, validate

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "fixtures" / "github" / "schema.graphql"


@lru_cache(maxsize=1)
def load_schema(path: Path = SCHEMA_PATH) -> GraphQLSchema:
    return build_schema(path.read_text(encoding="utf-8"))


def query_violations(raw: bytes) -> tuple[list[str], dict[str, Any]]:
    """(what is wrong with the request, its parsed body)."""
    try:
        body = json.loads(raw or b"null")
    except json.JSONDecodeError as exc:
        return [f"body is not JSON: {exc}"], {}
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        return ['body must be an object with a "query" string'], {}
    unknown = set(body) - {"query", "variables", "operationName"}
    if unknown:
        return [f"unknown body keys {sorted(unknown)}"], body
    if not isinstance(body.get("variables") or {}, dict):
        return ['"variables" must be an object'], body
    try:
        document = parse(body["query"])
    except GraphQLError as exc:
        return [f"syntax: {exc.message}"], body
    return [e.message for e in validate(load_schema(), document)], body


def answer(body: dict[str, Any], viewer: dict[str, Any]) -> dict[str, Any]:
    """Execute a valid query; `viewer` is the token's account (login, id)."""
    root = {"viewer": {"login": viewer["login"], "databaseId": viewer["id"]}}
    result = graphql_sync(load_schema(), body["query"], root_value=root,
                          variable_values=body.get("variables") or None,
                          operation_name=body.get("operationName"))
    out: dict[str, Any] = {"data": result.data}
    if result.errors:
        out["errors"] = [e.formatted for e in result.errors]
    return out
