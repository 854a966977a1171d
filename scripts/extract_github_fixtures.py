#!/usr/bin/env python3
"""Extract the GitHub API fixtures the tests use from GitHub's published machine-readable references.

Sources (npm packages, both maintained by the Octokit team from GitHub's own data):

- ``@octokit/openapi`` ``generated/api.github.com.json``: GitHub's OpenAPI description.
  We keep only the operations lanebench calls plus every component they reference, so the
  committed subset stays small and reviewable.
- ``@octokit/webhooks-examples`` ``api.github.com/index.json``: real event payloads. We keep
  the events the action reacts to.
- ``@octokit/graphql-schema`` ``schema.graphql``: GitHub's GraphQL schema. lanebench asks one
  GraphQL question (who the token is: ``viewer``); we keep the fields it selects, each with
  the type the schema gives it, so the fake can check and answer the query.

Usage (node_modules there is ignored by git)::

    cd tests/fixtures/github && npm install --no-save --no-package-lock \
        @octokit/openapi@23.0.2 @octokit/webhooks-examples@7.6.1 @octokit/graphql-schema@15.26.1
    python scripts/extract_github_fixtures.py

The versions are those recorded in the committed files: with them, a re-run reproduces the
files byte for byte (tests/test_github_fake.py checks it when the packages are installed).
Re-run it after adding an operation or upgrading a package.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "tests" / "fixtures" / "github"
DEFAULT_NODE_MODULES = DEFAULT_OUT / "node_modules"

# The operations lanebench.github calls (and the fake GitHub serves), by operationId.
OPERATIONS = (
    "pulls/get",
    "pulls/list",
    "pulls/list-files",
    "issues/list-comments",
    "issues/create-comment",
    "issues/update-comment",
    "issues/delete-comment",
    "checks/create",
    "checks/update",
    "actions/list-artifacts-for-repo",
    "actions/get-artifact",
    "actions/download-artifact",
    "actions/list-workflow-run-artifacts",
    "actions/get-workflow-run",
    # trend alert issues (lanebench.publish_alerts)
    "issues/list-for-repo",
    "issues/create",
    "issues/update",
    "issues/get-label",
    "issues/create-label",
    "repos/compare-commits-with-basehead",
    "repos/list-pull-requests-associated-with-commit",
)

# The GraphQL fields lanebench.github selects, by type (GitHubClient.identity).
GRAPHQL_FIELDS = {
    "Query": ("viewer",),
    "User": ("login", "databaseId"),
}
BUILT_IN_SCALARS = {"String", "Int", "Float", "Boolean", "ID"}

# (event, action or None for action-less events, output file stem)
WEBHOOKS = (
    ("pull_request", "opened", "pull_request.opened"),
    ("pull_request", "synchronize", "pull_request.synchronize"),
    ("pull_request", "labeled", "pull_request.labeled"),
    ("push", None, "push"),
    ("workflow_run", "completed", "workflow_run.completed"),
)

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/"):
            found.add(ref)
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def _resolve(spec: dict[str, Any], ref: str) -> Any:
    node: Any = spec
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _strip_prose(node: Any, *, in_data: bool = False, is_response: bool = False) -> Any:
    """Drop prose (descriptions, summaries, docs links) from schema structure, never from data.

    Example values are data: a repository's ``description`` inside an example stays. A
    response object's ``description`` is required by OpenAPI 3.0, so it stays too.
    """
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            prose = key in ("description", "summary") and isinstance(value, str)
            if not in_data and prose and not (is_response and key == "description"):
                continue
            if not in_data and key == "externalDocs":
                continue
            data = in_data or key in ("example", "value", "default", "enum")
            children_are_responses = not in_data and key == "responses"
            if children_are_responses and isinstance(value, dict):
                out[key] = {
                    status: _strip_prose(resp, is_response=True) for status, resp in value.items()
                }
            else:
                out[key] = _strip_prose(value, in_data=data)
        return out
    if isinstance(node, list):
        return [_strip_prose(v, in_data=in_data) for v in node]
    return node


def extract_openapi(spec: dict[str, Any], version: str) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    wanted = set(OPERATIONS)
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in HTTP_METHODS and op.get("operationId") in wanted:
                paths.setdefault(path, {})[method] = op
                wanted.discard(op["operationId"])
    if wanted:
        raise SystemExit(f"operations not found in the description: {', '.join(sorted(wanted))}")

    # Transitive closure of component references.
    pending: set[str] = set()
    _refs(paths, pending)
    seen: set[str] = set()
    while pending:
        ref = pending.pop()
        if ref in seen:
            continue
        seen.add(ref)
        _refs(_resolve(spec, ref), pending)
    components: dict[str, dict[str, Any]] = {}
    for ref in sorted(seen):
        _, _, kind, name = ref.split("/", 3)
        components.setdefault(kind, {})[name] = _resolve(spec, ref)

    return {
        "openapi": spec["openapi"],
        "info": {
            "title": spec["info"].get("title", "GitHub v3 REST API"),
            "version": spec["info"].get("version", version),
            "x-lanebench-source": {
                "package": "@octokit/openapi",
                "version": version,
                "file": "generated/api.github.com.json",
                "operations": list(OPERATIONS),
                "note": "subset extracted by scripts/extract_github_fixtures.py; prose removed",
            },
        },
        "servers": spec.get("servers", [{"url": "https://api.github.com"}]),
        "paths": _strip_prose(paths),
        "components": _strip_prose(components),
    }


def extract_webhooks(index: list[dict[str, Any]]) -> dict[str, Any]:
    by_name = {entry["name"]: entry for entry in index}
    out: dict[str, Any] = {}
    for event, action, stem in WEBHOOKS:
        examples = by_name[event]["examples"]
        match = next((e for e in examples if action is None or e.get("action") == action), None)
        if match is None:
            raise SystemExit(f"no {event}.{action} example in @octokit/webhooks-examples")
        out[stem] = match
    return out


def extract_graphql(sdl: str, version: str) -> str:
    """The GRAPHQL_FIELDS of GitHub's schema, as SDL: a schema of its own that accepts exactly
    the queries selecting those fields (each with its real type and arguments)."""
    from graphql import build_schema, get_named_type

    # assume_valid_sdl: the published schema defines a few Enterprise fields twice
    schema = build_schema(sdl, assume_valid_sdl=True)
    out = [f"# GitHub's GraphQL schema (@octokit/graphql-schema {version}, schema.graphql), only the",
           "# fields lanebench selects; extracted by scripts/extract_github_fixtures.py.", ""]
    for type_name, fields in GRAPHQL_FIELDS.items():
        graphql_type = schema.type_map[type_name]
        out.append(f"type {type_name} {{")
        for name in fields:
            field = graphql_type.fields[name]  # type: ignore[union-attr]
            args = ", ".join(f"{a}: {arg.type}" for a, arg in field.args.items())
            out.append(f"  {name}{f'({args})' if args else ''}: {field.type}")
            for used in [field.type, *(arg.type for arg in field.args.values())]:
                named = get_named_type(used).name
                if named not in GRAPHQL_FIELDS and named not in BUILT_IN_SCALARS:
                    raise SystemExit(f"{type_name}.{name} uses {named}: add it to GRAPHQL_FIELDS")
        out += ["}", ""]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--node-modules", type=Path, default=DEFAULT_NODE_MODULES)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)

    openapi_pkg = args.node_modules / "@octokit" / "openapi"
    webhooks_pkg = args.node_modules / "@octokit" / "webhooks-examples"
    graphql_pkg = args.node_modules / "@octokit" / "graphql-schema"
    for pkg in (openapi_pkg, webhooks_pkg, graphql_pkg):
        if not (pkg / "package.json").is_file():
            print(f"{pkg}: not installed (npm install @octokit/openapi @octokit/webhooks-examples "
                  "@octokit/graphql-schema)", file=sys.stderr)
            return 2
    openapi_version = json.loads((openapi_pkg / "package.json").read_text())["version"]
    webhooks_version = json.loads((webhooks_pkg / "package.json").read_text())["version"]

    spec = json.loads((openapi_pkg / "generated" / "api.github.com.json").read_text())
    subset = extract_openapi(spec, openapi_version)
    args.out.mkdir(parents=True, exist_ok=True)
    openapi_out = args.out / "openapi.json"
    openapi_out.write_text(json.dumps(subset, indent=1, sort_keys=False) + "\n")

    hooks_dir = args.out / "webhooks"
    hooks_dir.mkdir(parents=True, exist_ok=True)
    payloads = extract_webhooks(json.loads((webhooks_pkg / "api.github.com" / "index.json").read_text()))
    for stem, payload in payloads.items():
        (hooks_dir / f"{stem}.json").write_text(json.dumps(payload, indent=2) + "\n")
    (hooks_dir / "SOURCE.json").write_text(json.dumps({
        "package": "@octokit/webhooks-examples",
        "version": webhooks_version,
        "file": "api.github.com/index.json",
        "events": [stem for _, _, stem in WEBHOOKS],
    }, indent=2) + "\n")

    graphql_version = json.loads((graphql_pkg / "package.json").read_text())["version"]
    graphql_out = args.out / "schema.graphql"
    graphql_out.write_text(extract_graphql((graphql_pkg / "schema.graphql").read_text(), graphql_version))

    print(f"{openapi_out}: {len(OPERATIONS)} operations, "
          f"{sum(len(v) for v in subset['components'].values())} components, "
          f"{openapi_out.stat().st_size} bytes (@octokit/openapi {openapi_version})")
    print(f"{graphql_out}: {sum(map(len, GRAPHQL_FIELDS.values()))} fields "
          f"(@octokit/graphql-schema {graphql_version})")
    print(f"{hooks_dir}: {len(payloads)} payloads (@octokit/webhooks-examples {webhooks_version})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
