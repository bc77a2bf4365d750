#!/usr/bin/env bash
# Installs what a fresh machine lacks for FluxOps: Debian packages, node_modules and the toolchain
# built from Go modules (cached per machine outside the repo). Fast and silent when all is there.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '[setup] %s\n' "$*" >&2; }

# Debian packages the tests and the demo use.
pkgs=(git openssl ca-certificates docker-registry skopeo apache2-utils)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  sudo_cmd=(); [ "$(id -u)" = 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The Debian package may register a registry service; FluxOps starts its own on loopback only.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet docker-registry 2>/dev/null; then
  systemctl disable --now docker-registry >/dev/null 2>&1 || true
fi

command -v go >/dev/null || { log "Go is required to build the toolchain (see README)"; exit 1; }

# node_modules, only when the lockfile changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.fluxops-lock-stamp; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.fluxops-lock-stamp
fi

# Kubernetes control plane, kine, kwok and Pulumi, from Go modules (tens of minutes the first time).
bash toolchain/build.sh >/dev/null
