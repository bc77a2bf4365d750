# The Pulumi project of the @@fleet@@ fleet: one stack per edge site, named like the site, with
# its settings in Pulumi.<site>.yaml next to this file. The program is FluxOps' own: it
# synthesizes fleet.ts for the stack's site with fluxops.lock.yaml and deploys the objects with
# server-side apply. `pulumi up -s <site>` runs it; `npx fluxops up --site <site>` runs the same
# component through the Automation API.
name: "@@fleet@@"
description: Edge sites of the @@fleet@@ fleet, deployed by FluxOps. One stack per site.
runtime:
  name: nodejs
  options:
    typescript: true
main: node_modules/fluxops/stacks/program.ts
