# One image for every role (deploy/entrypoint.sh): api, dagster-webserver, dagster-daemon,
# code-server, materialize, adreports-provider, sample.
# BASE_IMAGE: any Debian-like image with Python 3.11 as `python3` (and its venv module); the
# container test builds one with mmdebstrap where public images cannot be pulled.
ARG BASE_IMAGE=docker.io/library/python:3.11-slim-bookworm

FROM ${BASE_IMAGE} AS build
ARG UV_VERSION=0.13.9
# pip and uv trust the base image's CA store (where a proxy's CA is added, see deploy/local-base.sh).
ENV UV_PYTHON_DOWNLOADS=never UV_PYTHON=python3 UV_LINK_MODE=copy UV_COMPILE_BYTECODE=1 \
    UV_PROJECT_ENVIRONMENT=/app/.venv SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt
# uv from PyPI into a throwaway venv of this stage only (never copied into the final image).
RUN python3 -m venv /opt/uv && /opt/uv/bin/pip install --no-cache-dir --quiet "uv==${UV_VERSION}"
WORKDIR /app
# The locked dependencies first: this layer is rebuilt only when the lock changes.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv /opt/uv/bin/uv sync --frozen --no-dev --no-install-project
COPY . .
# The dbt manifest Dagster loads, built once here (no database is opened by a parse).
RUN cd dbt_project && TRIBUTARY_DATA_DIR=/tmp/data DBT_LOG_PATH=/tmp/dbt-logs \
    DO_NOT_TRACK=1 /app/.venv/bin/dbt parse --quiet --profiles-dir .

FROM ${BASE_IMAGE}
RUN groupadd --system --gid 10001 tributary \
    && useradd --system --uid 10001 --gid tributary --home-dir /app --shell /usr/sbin/nologin tributary \
    && mkdir -p /data /lake && chown tributary:tributary /data /lake
COPY --from=build /app /app
# dbt writes each run's artifacts under dbt_project/target.
RUN chown -R tributary:tributary /app/dbt_project
ENV PATH=/app/.venv/bin:$PATH VIRTUAL_ENV=/app/.venv PYTHONUNBUFFERED=1 \
    TRIBUTARY_DATA_DIR=/data DAGSTER_HOME=/data/dagster_home DBT_PROFILES_DIR=/app/dbt_project \
    DBT_LOG_PATH=/data/dbt/logs RUNTIME__DLTHUB_TELEMETRY=false DO_NOT_TRACK=1
WORKDIR /app
USER tributary
VOLUME ["/data", "/lake"]
ENTRYPOINT ["/app/deploy/entrypoint.sh"]
CMD ["api"]
