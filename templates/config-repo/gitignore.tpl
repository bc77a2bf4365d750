# Installed by `npm install` (package-lock.json is committed).
node_modules/
# Local FluxOps state (`fluxops dev`, `fluxops up --state-dir .fluxops`).
.fluxops/
# Output of `npx fluxops synth --all-sites --out manifests`.
/manifests/
*.log
