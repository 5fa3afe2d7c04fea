# One image for every role (deploy/entrypoint.sh): api, dagster-webserver, dagster-daemon,
# code-server, materialize, adreports-provider, sample.
# BASE_IMAGE: any Debian-like image with Python 3.11 as `python3` (and its venv module); the
# container test builds one with mmdebstrap where public images cannot be pulled.
ARG BASE_IMAGE=docker.io/library/python:3.11-slim-bookworm

# The build tool alone: uv from PyPI in a venv of this stage. The image below only mounts it
# while it installs the environment, so no build tool ends up in the final image.
FROM ${BASE_IMAGE} AS uv
ARG UV_VERSION=0.13.9
# pip trusts the base image's CA store (where a proxy's CA is added, see deploy/local-base.sh).
RUN --mount=type=cache,target=/root/.cache/pip \
    python3 -m venv /opt/uv \
    && PIP_CERT=/etc/ssl/certs/ca-certificates.crt /opt/uv/bin/pip install --quiet "uv==${UV_VERSION}"

FROM ${BASE_IMAGE}
RUN groupadd --system --gid 10001 tributary \
    && useradd --system --uid 10001 --gid tributary --home-dir /app --shell /usr/sbin/nologin tributary \
    && mkdir -p /data /lake && chown tributary:tributary /data /lake
WORKDIR /app
# The locked dependencies first: this layer is rebuilt only when the lock changes. uv's download
# cache persists between builds on the build host (a BuildKit/buildah cache mount), so a rebuild
# downloads nothing; it is installed straight into this stage (no second copy of ~1.5 GB).
COPY pyproject.toml uv.lock ./
RUN --mount=type=bind,from=uv,source=/opt/uv,target=/opt/uv \
    --mount=type=cache,target=/root/.cache/uv,sharing=locked \
    UV_PYTHON_DOWNLOADS=never UV_PYTHON=python3 UV_LINK_MODE=copy UV_COMPILE_BYTECODE=1 \
    UV_PROJECT_ENVIRONMENT=/app/.venv SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    /opt/uv/bin/uv sync --frozen --no-dev --no-install-project --quiet
# The code (root's), then the dbt manifest Dagster loads, built once here (a parse opens no
# database). dbt writes each run's artifacts under dbt_project/, so that folder is the runtime user's.
COPY . .
RUN cd dbt_project && TRIBUTARY_DATA_DIR=/tmp/data DBT_LOG_PATH=/tmp/dbt-logs DO_NOT_TRACK=1 \
    /app/.venv/bin/dbt parse --quiet --profiles-dir . \
    && rm -rf /tmp/data /tmp/dbt-logs && chown -R tributary:tributary /app/dbt_project
ENV PATH=/app/.venv/bin:$PATH VIRTUAL_ENV=/app/.venv PYTHONUNBUFFERED=1 \
    TRIBUTARY_DATA_DIR=/data DAGSTER_HOME=/data/dagster_home DBT_PROFILES_DIR=/app/dbt_project \
    NUMBA_CACHE_DIR=/tmp/numba-cache \
    DBT_LOG_PATH=/data/dbt/logs RUNTIME__DLTHUB_TELEMETRY=false DO_NOT_TRACK=1
USER tributary
VOLUME ["/data", "/lake"]
ENTRYPOINT ["/app/deploy/entrypoint.sh"]
CMD ["api"]
