"""A lanebench client pointed at the fake, for tests."""

from __future__ import annotations

from lanebench.github import GitHubClient

from .server import FakeGitHub
from .state import DEFAULT_REPO


def client_for(fake: FakeGitHub, token: str | None = None) -> GitHubClient:
    """A client of the fake's default repository that neither paces nor waits long."""
    return GitHubClient(token or fake.token, DEFAULT_REPO, api_url=fake.url, max_retry_seconds=5,
                        seconds_between_requests=0, seconds_between_writes=0)
