# lanebench GitHub Action image.
# Build stage: install lanebench and its dependencies into a virtualenv from the project's metadata.
FROM python:3.12.8-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY lanebench ./lanebench
# Byte-code is compiled once here (unchecked-hash: valid whatever the files' times after
# COPY): without it every run compiles scipy & co. again, 3.1-4.3 s instead of 1.4-1.7 s.
RUN python -m venv /opt/lanebench \
 && /opt/lanebench/bin/pip install --no-compile . \
 && /opt/lanebench/bin/pip uninstall -y pip setuptools \
 && find /opt/lanebench -depth \( -name tests -o -name __pycache__ \) -type d -path '*/site-packages/*' -exec rm -rf {} + \
 && find /opt/lanebench -type f -path '*/site-packages/*' \( -name '*.pyi' -o -name '*.pyx' -o -name '*.pxd' -o -name '*.c' -o -name '*.h' \) -delete \
 && /opt/lanebench/bin/python -m compileall -q -j 0 --invalidation-mode unchecked-hash /opt/lanebench/lib

# Final stage: the runtime only (no compilers, no pip caches); git for change detection and paired mode.
FROM python:3.12.8-slim-bookworm
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends git \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* \
 && git config --system --add safe.directory /github/workspace \
 && git config --system --add safe.directory '/github/workspace/*'
COPY --from=build /opt/lanebench /opt/lanebench
# The standard library's byte-code too, where the base image ships none (a no-op otherwise).
RUN /opt/lanebench/bin/python -m compileall -q -j 0 -x '/(tests?|idlelib|tkinter|turtledemo|ensurepip)/' \
    "$(/opt/lanebench/bin/python -c 'import sysconfig; print(sysconfig.get_path("stdlib"))')"
COPY entrypoint.py /entrypoint.py
ENV PATH=/opt/lanebench/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
ENTRYPOINT ["/opt/lanebench/bin/python", "/entrypoint.py"]
