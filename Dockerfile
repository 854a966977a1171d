# lanebench GitHub Action image.
# Build stage: install lanebench and its dependencies into a virtualenv from the project's metadata.
FROM python:3.12.8-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY lanebench ./lanebench
RUN python -m venv /opt/lanebench \
 && /opt/lanebench/bin/pip install --no-compile . \
 && find /opt/lanebench -depth \( -name tests -o -name __pycache__ \) -type d -path '*/site-packages/*' -exec rm -rf {} + \
 && /opt/lanebench/bin/pip uninstall -y pip

# Final stage: the runtime only (no compilers, no pip caches); git for change detection and paired mode.
FROM python:3.12.8-slim-bookworm
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends git \
 && rm -rf /var/lib/apt/lists/* \
 && git config --system --add safe.directory /github/workspace \
 && git config --system --add safe.directory '/github/workspace/*'
COPY --from=build /opt/lanebench /opt/lanebench
COPY entrypoint.py /entrypoint.py
ENV PATH=/opt/lanebench/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
ENTRYPOINT ["/opt/lanebench/bin/python", "/entrypoint.py"]
