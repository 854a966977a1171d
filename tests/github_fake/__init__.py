"""A fake GitHub REST API for tests, checked against GitHub's OpenAPI description.

In-process::

    with FakeGitHub() as fake:
        fake.add_pull(5, files=["src/a.py"])
        client = GitHubClient(fake.token, "octo-org/octo-repo", api_url=fake.url)

As a separate process (for code under test that runs as a subprocess)::

    python -m tests.github_fake --port 8765

and seed/inspect it through `RemoteFakeGitHub` (see `process.py`).
"""

from .clients import client_for
from .process import RemoteFakeGitHub, start_fake_github_process
from .server import FakeGitHub
from .spec import GitHubDescription, load_description
from .state import (
    DEFAULT_REPO,
    DEFAULT_TOKEN,
    FakeState,
    Fault,
    bad_credentials,
    make_zip,
    not_accessible,
    primary_rate_limit,
    secondary_rate_limit,
    server_error,
)

__all__ = [
    "DEFAULT_REPO",
    "DEFAULT_TOKEN",
    "FakeGitHub",
    "FakeState",
    "Fault",
    "GitHubDescription",
    "RemoteFakeGitHub",
    "bad_credentials",
    "client_for",
    "load_description",
    "make_zip",
    "not_accessible",
    "primary_rate_limit",
    "secondary_rate_limit",
    "server_error",
    "start_fake_github_process",
]
