#!/usr/bin/env bash
# Runs one benchmark (bench/<name>.ts) or all of them. Benchmarks print ratios against their
# baseline or goal; they are not part of `npm test`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for f in bench/*.ts; do names+=("$(basename "$f" .ts)"); done
fi
for n in "${names[@]}"; do
  echo "== $n"
  npx ts-node --transpile-only "bench/$n.ts"
done
