#!/usr/bin/env bash
# Installs what a fresh machine lacks for FluxOps: Debian packages, node_modules and the toolchain
# built from Go modules (cached per machine outside the repo). Silent when all is there.
#
# Each step that has work to do prints one progress line; the output of apt-get and npm goes to
# <cache>/setup.log (its path is printed first) and is shown only when a step fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=progress.sh
source scripts/progress.sh

cache_root="${FLUXOPS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/fluxops}"
log_started=0
start_log() {
  if [ "$log_started" = 0 ]; then
    progress_log_to "$cache_root/setup.log"
    printf '[setup] output of the steps below: %s\n' "$PROGRESS_LOG" >&2
    log_started=1
  fi
}

# Debian packages the tests and the demo use (shellcheck: actionlint lints the shell scripts of the
# workflows `fluxops init` generates with it; qemu-user-static runs the arm64 image's binaries).
pkgs=(git openssl ca-certificates docker-registry skopeo apache2-utils shellcheck qemu-user-static)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
install_packages() {
  local sudo_cmd=()
  [ "$(id -u)" = 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "$@"
}
if [ ${#missing[@]} -gt 0 ]; then
  start_log
  progress_step '[setup]' "Debian packages (${missing[*]})" installing - install_packages "${missing[@]}"
fi
# The Debian package may register a registry service; FluxOps starts its own on loopback only.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet docker-registry 2>/dev/null; then
  systemctl disable --now docker-registry >/dev/null 2>&1 || true
fi

command -v go >/dev/null || { echo "[setup] Go is required to build the toolchain (see README)" >&2; exit 1; }

# node_modules, only when the lockfile changed since the last install.
install_node_modules() {
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.fluxops-lock-stamp
}
if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.fluxops-lock-stamp; then
  start_log
  progress_step '[setup]' 'node_modules (npm ci)' installing - install_node_modules
fi

# Kubernetes control plane, kine, kwok and Pulumi, from Go modules, plus the Pulumi binaries
# cross-compiled for the reconciler image (see README for the times; it prints its own progress
# and log path, and nothing when the cache is complete).
bash toolchain/build.sh --quiet-if-cached >/dev/null

# The reconciler image's other inputs: Node for both platforms (npm) and the locked Debian
# packages (apt), into <cache>/image. The marker (same key as `fluxops image fetch` writes)
# spares starting Node when they are there.
image_key="$(cat image/versions.env image/debian-packages.lock.json | sha256sum | cut -c1-12)"
if [ ! -f "$cache_root/image/.done-inputs-$image_key" ]; then
  node bin/fluxops image fetch --quiet-if-cached
fi
