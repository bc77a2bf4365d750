#!/usr/bin/env bash
# Runs jest under the Node 24 LTS the reconciler image ships (the official build from the npm
# package node-linux-<arch>, pinned in image/versions.env and cached like the image's inputs),
# by default over test/reconciler. Arguments replace the default and go to jest as they are:
#   npm run test:node24 -- test/reconciler/synth --selectProjects integration
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
node24="$(node bin/fluxops image node-path)"
echo "[test:node24] $("$node24" --version) at $node24" >&2
if [ $# -eq 0 ]; then set -- test/reconciler; fi
# Tests that start `node` by name get Node 24 as well.
PATH="$(dirname "$node24"):$PATH" exec "$node24" node_modules/jest/bin/jest.js --runInBand --ci "$@"
