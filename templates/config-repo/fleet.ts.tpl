/**
 * The @@fleet@@ edge fleet: which apps run on which site, and which image tags they run.
 *
 *   npx tsc --noEmit                          type-checks this file (CI does too)
 *   npx fluxops synth --all-sites --strict    shows the Kubernetes objects of every site
 *
 * FluxOps runs this file in an isolated process that sees only FLEET_* environment variables.
 * Keep secrets out of it: they live encrypted in the Pulumi stack settings (see README.md).
 */
import { EdgeApp, GitSource, ImagePolicy, ImageRepository, ImageUpdateAutomation, Site, defineFleet } from 'fluxops/constructs';

export default defineFleet({ name: '@@fleet@@', namespace: '@@namespace@@' }, (fleet) => {
  // This repository. Image automation commits the tags it picks (fluxops.lock.yaml) to it.
  const source = new GitSource(fleet, 'fleet-config', {
    url: '@@gitUrl@@',
    ref: { kind: 'branch', name: '@@branch@@' },
  });

  // The app's image. Its repository's release workflow pushes @@image@@:X.Y.Z for every Git tag
  // vX.Y.Z, built for linux/amd64 and linux/arm64. A private registry needs a pull secret here
  // (secretRef) and on the site.
  const repository = new ImageRepository(fleet, '@@app@@-image', {
    name: '@@app@@',
    image: '@@image@@',
    interval: '5m',
  });

  // Which tag runs: the newest 1.x release that really has a linux/arm64 image, pinned by digest.
  // Until image automation has recorded one in fluxops.lock.yaml, sites run 1.0.0.
  const image = new ImagePolicy(fleet, '@@app@@-policy', {
    name: '@@app@@',
    repository,
    policy: { kind: 'semver', range: '^1.0.0' },
    initialTag: '1.0.0',
    platforms: ['linux/arm64'],
  });

  new ImageUpdateAutomation(fleet, 'fleet-images', {
    source,
    policies: [image],
    author: { name: 'FluxOps Bot', email: 'fluxops-bot@example.com' },
    skipCi: true,
  });

  // Runs on arm64 nodes, as non-root with a read-only root filesystem and default resources.
  const app = new EdgeApp(fleet, '@@app@@', {
    containers: [{ image, ports: [{ name: 'http', port: 8080 }] }],
  });

@@sites@@
});
