# lanebench GitHub Action image.
# Build stage: install lanebench and its dependencies into a virtualenv from the project's metadata.
FROM python:3.12.8-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY lanebench ./lanebench
RUN python -m venv /opt/lanebench \
 && /opt/lanebench/bin/pip install --no-compile . \
 && /opt/lanebench/bin/pip uninstall -y pip setuptools \
 && find /opt/lanebench -depth \( -name tests -o -name __pycache__ \) -type d -path '*/site-packages/*' -exec rm -rf {} + \
 && find /opt/lanebench -type f -path '*/site-packages/*' \( -name '*.pyi' -o -name '*.pyx' -o -name '*.pxd' -o -name '*.c' -o -name '*.h' \) -delete

# Final stage: the runtime only (no compilers, no pip caches); git for change detection and paired mode;
# of valgrind only what `instrument: instructions` runs: its launcher, cachegrind and the core preload
# (2.4 of the package's 77 MiB and libc6-dbg's 11; docs/container.md), the package itself purged.
FROM python:3.12.8-slim-bookworm
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends git valgrind \
 && arch="$(dpkg --print-architecture)" && mkdir /tmp/vg \
 && cp /usr/bin/valgrind.bin /tmp/vg/valgrind \
 && cp "/usr/libexec/valgrind/cachegrind-$arch-linux" "/usr/libexec/valgrind/vgpreload_core-$arch-linux.so" /tmp/vg/ \
 && apt-get purge -y --auto-remove valgrind libc6-dbg \
 && mv /tmp/vg/valgrind /usr/local/bin/valgrind \
 && mkdir -p /usr/libexec/valgrind && mv /tmp/vg/* /usr/libexec/valgrind/ && rmdir /tmp/vg \
 && valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null -q true \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* \
 && git config --system --add safe.directory /github/workspace \
 && git config --system --add safe.directory '/github/workspace/*'
COPY --from=build /opt/lanebench /opt/lanebench
# Import what a run imports, once: Python leaves the byte-code of those modules (packages and
# standard library) in the image, so runs do not compile them again (imports 3.1-4.3 s
# without, 1.4-1.7 s with); and a broken install fails the build, not the first job.
RUN /opt/lanebench/bin/python -c "import lanebench.action, lanebench.pipeline, lanebench.bundle, lanebench.cli"
COPY entrypoint.py /entrypoint.py
ENV PATH=/opt/lanebench/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
ENTRYPOINT ["/opt/lanebench/bin/python", "/entrypoint.py"]
