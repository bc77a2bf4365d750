# FluxOps on GitLab: checks every merge request and shows what it would change on each site's
# live cluster. The same steps as .github/workflows/fluxops-diff.yaml; keep the file of the forge
# you use and delete the other.
#
#   fluxops-check: install (npm ci), type-check fleet.ts (tsc), synthesize every site (strict lock)
#   fluxops-diff:  diff each site against its cluster (server-side dry run: nothing is applied) and
#                  post the result as one merge-request comment, updated on every push
#
# CI/CD variables (Settings > CI/CD > Variables), both not "protected" (merge-request pipelines
# of unprotected branches cannot read protected variables):
#   FLUXOPS_KUBECONFIG    type "File": a kubeconfig with one context per site, named like the
#                         site (@@siteList@@). See README.md for the permissions it needs.
#   FLUXOPS_GITLAB_TOKEN  masked: a project access token with the "api" scope (role Reporter),
#                         used only to write the comment.
# Exit code 1 of `fluxops diff` (differences) is a result, not a failure; exit code 2 (an error)
# fails the job after the comment is posted.

workflow:
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"

stages:
  - check
  - diff

default:
  image: node:22-bookworm
  interruptible: true

variables:
  FLUXOPS_SITES: "@@siteList@@"

.install: &install
  - |
    if [ -f package-lock.json ]; then
      npm ci --no-audit --no-fund
    else
      echo "warning: no package-lock.json: run npm install and commit package-lock.json for reproducible installs"
      npm install --no-audit --no-fund
    fi

fluxops-check:
  stage: check
  script:
    - *install
    - npx tsc --noEmit
    - npx fluxops synth --all-sites --strict --out manifests
  artifacts:
    paths:
      - manifests/
    expire_in: 1 week

fluxops-diff:
  stage: diff
  needs:
    - fluxops-check
  script:
    - *install
    - |
      if [ -z "${FLUXOPS_KUBECONFIG:-}" ]; then
        echo "warning: the CI/CD variable FLUXOPS_KUBECONFIG is not available (not set, protected, or a fork): live diff skipped"
        exit 0
      fi
      # `fluxops diff --ref <branch>` reads the source branch from origin.
      git fetch --quiet origin "+refs/heads/${CI_MERGE_REQUEST_SOURCE_BRANCH_NAME}:refs/remotes/origin/${CI_MERGE_REQUEST_SOURCE_BRANCH_NAME}"
      printf '%s\n' '<!-- fluxops-diff -->' > fluxops-diff.md
      failed=false
      for site in $FLUXOPS_SITES; do
        code=0
        npx fluxops diff --ref "$CI_MERGE_REQUEST_SOURCE_BRANCH_NAME" --site "$site" --kubeconfig "$FLUXOPS_KUBECONFIG" --context "$site" \
          --output markdown > site.md 2> site.err || code=$?
        cat site.err >&2
        # 0: no difference, 1: differences (a result, not a failure); anything else, or no output: an error
        if [ "$code" -le 1 ] && [ -s site.md ]; then
          cat site.md >> fluxops-diff.md
        else
          failed=true
          echo "error: fluxops diff failed for site $site (exit code $code)"
          {
            # shellcheck disable=SC2016 # the backticks are Markdown
            printf '### FluxOps diff for site `%s` failed (exit code %s)\n\n```\n' "$site" "$code"
            tail -n 40 site.err
            printf '```\n'
          } >> fluxops-diff.md
        fi
        echo >> fluxops-diff.md
      done
      cat fluxops-diff.md
      if [ -n "${FLUXOPS_GITLAB_TOKEN:-}" ]; then
        node <<'EOF'
      const fs = require('node:fs');
      const marker = '<!-- fluxops-diff -->';
      const body = fs.readFileSync('fluxops-diff.md', 'utf8');
      const notes = `${process.env.CI_API_V4_URL}/projects/${process.env.CI_PROJECT_ID}/merge_requests/${process.env.CI_MERGE_REQUEST_IID}/notes`;
      const headers = { 'PRIVATE-TOKEN': process.env.FLUXOPS_GITLAB_TOKEN, 'Content-Type': 'application/json' };
      (async () => {
        let previous;
        for (let page = 1; previous === undefined; page++) {
          const res = await fetch(`${notes}?per_page=100&page=${page}&sort=asc&order_by=created_at`, { headers });
          if (!res.ok) throw new Error(`listing the merge request's comments: HTTP ${res.status}`);
          const batch = await res.json();
          previous = batch.find((n) => typeof n.body === 'string' && n.body.startsWith(marker));
          if (batch.length < 100) break;
        }
        const res = await fetch(previous ? `${notes}/${previous.id}` : notes, { method: previous ? 'PUT' : 'POST', headers, body: JSON.stringify({ body }) });
        if (!res.ok) throw new Error(`${previous ? 'updating' : 'creating'} the comment: HTTP ${res.status}`);
        console.log(`${previous ? 'updated' : 'created'} the FluxOps diff comment`);
      })().catch((err) => {
        console.error(`error: ${err.message}`);
        process.exit(1);
      });
      EOF
      else
        echo "warning: FLUXOPS_GITLAB_TOKEN is not set: the diff is in this log only, not on the merge request"
      fi
      [ "$failed" = false ]
  artifacts:
    when: always
    paths:
      - fluxops-diff.md
    expire_in: 1 week
