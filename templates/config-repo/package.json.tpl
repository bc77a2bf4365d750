{
  "name": "@@packageName@@",
  "version": "0.0.0",
  "private": true,
  "description": "FluxOps config repository of the @@fleet@@ edge fleet: fleet.ts, its image lock and one Pulumi stack per site.",
  "scripts": {
    "typecheck": "tsc --noEmit",
    "synth": "fluxops synth --all-sites --strict",
    "diff": "fluxops diff",
    "up": "fluxops up"
  },
  "dependencies": {
    "fluxops": "@@fluxopsSpec@@"
  },
  "devDependencies": {
    "@types/node": "@@typesNodeVersion@@",
    "typescript": "@@typescriptVersion@@"
  },
  "engines": {
    "node": ">=20.19"
  }
}
