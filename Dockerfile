# lanebench GitHub Action image. With `runs.image: Dockerfile` GitHub builds it at the start
# of every job, so every step here is paid per job (docs/container.md, "Build time"); a
# release also pushes it, built once, for actions pinned by digest.

# Build stage: lanebench and its dependencies in a virtualenv. BuildKit (GitHub's `docker
# build`) runs this stage while the final stage installs git.
FROM python:3.12.8-slim-bookworm AS build
# imports: leave the byte-code of everything a run imports (the release image: built once,
# run often). spawner (default, built in every job): only what the spawner process imports,
# whose peak RSS is the floor of every maxrss measured; the rest would cost more to compile
# here than the one run of a job spends compiling it (docs/container.md, "Byte-code").
ARG PRECOMPILE=spawner
COPY . /src
# --only-binary :all: a dependency with no wheel for this Python and platform fails the build
# here instead of compiling. The final stage takes /out as it is: the virtualenv, the
# byte-code written into the standard library by the import below, and the entrypoint.
RUN python -m venv --without-pip /opt/lanebench \
 && PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore \
    pip --python /opt/lanebench/bin/python install --no-compile --only-binary :all: /src \
 && find /opt/lanebench -depth \( -name tests -o -name __pycache__ \) -type d -path '*/site-packages/*' -exec rm -rf {} + \
 && find /opt/lanebench -type f -path '*/site-packages/*' \( -name '*.pyi' -o -name '*.pyx' -o -name '*.pxd' -o -name '*.c' -o -name '*.h' \) -delete \
 && touch /tmp/before-import \
 && case "$PRECOMPILE" in \
      imports) /opt/lanebench/bin/python -c "import lanebench.action, lanebench.pipeline, lanebench.bundle, lanebench.cli" ;; \
      spawner) /opt/lanebench/bin/python -c "import sys; sys.path.append(sys.argv[1]); import spawn_server" /opt/lanebench/lib/python3*/site-packages/lanebench/runner ;; \
      *) echo "PRECOMPILE must be imports or spawner, not '$PRECOMPILE'" >&2; exit 2 ;; \
    esac \
 && mkdir -p /out/opt && mv /opt/lanebench /out/opt/ && cp /src/entrypoint.py /out/ \
 && stdlib="$(python -c 'import sysconfig; print(sysconfig.get_path("stdlib"))')" \
 && find "$stdlib" -name '*.pyc' -newer /tmp/before-import -exec cp --parents -p -t /out {} +

# Final stage: the runtime only. git for change detection and paired mode; of valgrind only
# what `instrument: instructions` runs (its launcher, cachegrind and the core preload: 2.3 of
# the package's 77 MiB), taken out of the package file without installing it or libc6-dbg.
# A failing dpkg-deb leaves tar without the three members it asks for, so tar fails the pipe.
FROM python:3.12.8-slim-bookworm
# hadolint ignore=DL3003,DL3008,DL4006
RUN apt-get update \
 && apt-get install -y --no-install-recommends git \
 && cd /tmp && apt-get download valgrind \
 && arch="$(dpkg --print-architecture)" \
 && dpkg-deb --fsys-tarfile valgrind_*.deb | tar -x -C / ./usr/bin/valgrind.bin \
      "./usr/libexec/valgrind/cachegrind-$arch-linux" "./usr/libexec/valgrind/vgpreload_core-$arch-linux.so" \
 && mv /usr/bin/valgrind.bin /usr/local/bin/valgrind && rm valgrind_*.deb \
 && valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null -q true \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && git config --system --add safe.directory /github/workspace \
 && git config --system --add safe.directory '/github/workspace/*'
COPY --from=build /out/ /
ENV PATH=/opt/lanebench/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
ENTRYPOINT ["/opt/lanebench/bin/python", "/entrypoint.py"]
