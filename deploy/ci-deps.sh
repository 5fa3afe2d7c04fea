#!/usr/bin/env bash
# The host tools the container test needs (tests/deploy/test_containers.py), installed where they
# are missing: podman, runc (crun fails on hybrid cgroups) and mmdebstrap (the local base images),
# with Debian's apt as root, plus podman's settings for this machine kind in
# /etc/containers/containers.conf (deploy/containers.conf: runc, no default ulimits, host network).
# Idempotent: a machine that has them is left as it is. `.ci/run` calls it through `make ci-deps`.
set -euo pipefail
cd "$(dirname "$0")/.."
tools=(podman runc mmdebstrap)
missing=()
for tool in "${tools[@]}"; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ "$(id -u)" != 0 ]; then
  if [ ${#missing[@]} -gt 0 ]; then
    echo "ci-deps: ${missing[*]} missing and not root: apt-get install ${tools[*]} as root" >&2
    exit 1
  fi
  exit 0
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "ci-deps: installing ${tools[*]} (missing: ${missing[*]})"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${tools[@]}" >/dev/null
fi
# Our settings as the system file when there is none or it is ours (a host's own file is kept:
# the test points CONTAINERS_CONF at deploy/containers.conf either way).
conf=/etc/containers/containers.conf
marker="# written by tributary deploy/ci-deps.sh"
if [ ! -e "$conf" ] || grep -qxF "$marker" "$conf"; then
  mkdir -p /etc/containers
  tmp=$(mktemp /etc/containers/.containers.conf.XXXXXX)
  { echo "$marker"; cat deploy/containers.conf; } >"$tmp"
  chmod 644 "$tmp"
  cmp -s "$tmp" "$conf" 2>/dev/null && rm -f "$tmp" || mv "$tmp" "$conf"
else
  echo "ci-deps: $conf is the host's own: left as it is (CONTAINERS_CONF=deploy/containers.conf)"
fi
