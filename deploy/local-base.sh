#!/usr/bin/env bash
# Local base images from Debian's packages, for machines that cannot pull public images:
#   deploy/local-base.sh [CACHE_DIR]  ->  localhost/debian-python:bookworm (python3 3.11, for the
#   Dockerfile's BASE_IMAGE) and localhost/debian-postgres:bookworm (PostgreSQL 15, for compose).
# The tarballs are cached in CACHE_DIR (default ~/.cache/tributary) and reused when present.
# The host's extra CA certificates (a TLS-inspecting proxy's) go into the Python base, so
# pip and uv inside a build trust the same registries the host does.
set -euo pipefail
cache=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/tributary}
mkdir -p "$cache"
build() { # name, packages, extra mmdebstrap args
  local name=$1 packages=$2
  shift 2
  if [ ! -s "$cache/$name.tar" ]; then
    mmdebstrap --quiet --format=tar --variant=minbase --include="$packages" "$@" bookworm "$cache/$name.tar.part"
    mv "$cache/$name.tar.part" "$cache/$name.tar"
  fi
  podman image exists "localhost/$name:bookworm" ||
    podman import --quiet "$cache/$name.tar" "localhost/$name:bookworm" >/dev/null
}
build debian-python python3,python3-venv,ca-certificates \
  --customize-hook='cp /usr/local/share/ca-certificates/*.crt "$1/usr/local/share/ca-certificates/" 2>/dev/null || true' \
  --customize-hook='chroot "$1" update-ca-certificates >/dev/null'
build debian-postgres postgresql-15,ca-certificates
