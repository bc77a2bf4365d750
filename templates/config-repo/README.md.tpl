# @@fleet@@: FluxOps config repository

This repository describes the **@@fleet@@** edge fleet: which apps run on which k3s site, and
which image tag each of them runs. FluxOps turns it into Kubernetes objects
and deploys them; nothing here is applied by hand.

Sites: @@siteListMarkdown@@.

## What each file is

| File | What it is |
| --- | --- |
| `fleet.ts` | The fleet, in TypeScript: the app `@@app@@` (image `@@image@@`), its image policy (newest `1.x` with a `linux/arm64` image) and one `Site` per edge site. |
| `fluxops.lock.yaml` | The image lock: the exact tag and digest each policy runs. Image automation writes it; synthesis only reads it. Starts empty, so sites run the policy's `initialTag` until the first entry is written. |
| `package.json` | Depends on FluxOps (`@@fluxopsSpec@@`) and TypeScript. `npm install` writes `package-lock.json`: commit it. |
| `tsconfig.json` | Lets `npx tsc --noEmit` (and your editor) type-check `fleet.ts` against FluxOps' constructs. |
| `Pulumi.yaml` | The Pulumi project: one stack per site. Its program is FluxOps' own (`node_modules/fluxops/stacks/program.ts`). |
| @@stackFilesMarkdown@@ | Each site's stack settings. `pulumi stack init` adds the encryption salt; secrets are stored here encrypted. |
| `.github/workflows/fluxops-diff.yaml` | GitHub Actions: on every pull request, type-check, synthesize every site and post the diff against the live clusters as a comment. |
| `.gitlab-ci.yml` | The same for GitLab merge requests. Keep the file of the forge you use and delete the other. |
| `.gitignore` | Keeps `node_modules/` and local state out of Git. |

## Next steps

1. Install and check:

   ```sh
   npm install                                # writes package-lock.json: commit it
   npx tsc --noEmit                           # type-checks fleet.ts
   npx fluxops synth --all-sites --strict     # the Kubernetes objects of every site
   ```

2. Push:

   ```sh
   git init -b @@branch@@      # only if this is not a Git repository yet
   git add -A && git commit -m "FluxOps config repository for @@fleet@@"
   git remote add origin @@gitUrl@@
   git push -u origin @@branch@@
   ```

3. Release the app: push the tag `v1.0.0` in the app's repository (`npx fluxops init --app`
   writes its release workflow), which pushes `@@image@@:1.0.0` for linux/amd64 and linux/arm64.

4. First deploy of a site, from your machine (the cluster's kubeconfig, with a context named
   like the site):

   ```sh
   export PULUMI_CONFIG_PASSPHRASE='…'        # encrypts the site's secrets; keep it safe
   npx fluxops preview --site @@firstSite@@ --kubeconfig ~/.kube/@@firstSite@@.yaml --context @@firstSite@@
   npx fluxops up      --site @@firstSite@@ --kubeconfig ~/.kube/@@firstSite@@.yaml --context @@firstSite@@
   ```

   `npx fluxops up` keeps the Pulumi state in `~/.local/state/fluxops` unless
   `PULUMI_BACKEND_URL` says otherwise (for a team: a shared S3-compatible bucket). With the
   `pulumi` CLI instead: `pulumi login <backend>`, `pulumi stack init @@firstSite@@`,
   `pulumi config set fluxops:context @@firstSite@@`, `pulumi up -s @@firstSite@@`.

5. Pull-request diffs: add the repository secret `FLUXOPS_KUBECONFIG` (GitHub: Settings >
   Secrets and variables > Actions; GitLab: a CI/CD variable of type File, plus
   `FLUXOPS_GITLAB_TOKEN`, see `.gitlab-ci.yml`): a kubeconfig with one context per site, named
   like the site (@@siteList@@). Every pull request then gets one comment, updated on every push,
   with what merging it would change on each site: objects to create, update (field by field) and
   prune, and how many stay unchanged. The diff is a server-side dry run and applies nothing.

## Permissions of the CI credential

A server-side dry run is authorized like the real request, so the diff's credential needs what
an apply needs (`get`, `create`, `patch`) on every kind the fleet deploys, the Namespace
`@@namespace@@` included, and `get` on ConfigMaps in `fluxops-system` (where FluxOps keeps each
site's inventory). Anyone who can open a pull request in this repository can change the code
that runs next to that credential: give it a ServiceAccount of its own with only those rights,
never a cluster-admin kubeconfig. Pull requests from forks never see it.

## Secrets

Never in `fleet.ts` or in Git in plain text. Per site:

```sh
pulumi config set --secret --path -s @@firstSite@@ 'fluxops:secrets.@@namespace@@/<secret>.<key>' '<value>'
```

An app refers to it by name only: `env: { PASSWORD: { secret: '<secret>', key: '<key>' } }`.
