# FluxOps: checks every pull request and shows what it would change on each site's live cluster.
#
#   1. install (npm ci)                  3. synthesize every site with the strict image lock
#   2. type-check fleet.ts (tsc)         4. diff each site against its cluster and post the result
#
# The diff is a server-side dry run: nothing is applied. It is posted as one pull-request
# comment, updated on every push. Exit code 1 of `fluxops diff` (differences) is a result, not a
# failure; exit code 2 (an error) fails the job after the comment is posted.
#
# Needs the repository secret FLUXOPS_KUBECONFIG: a kubeconfig with one context per site, named
# like the site (@@siteList@@). See README.md for the permissions it needs. Pull requests from
# forks get no secrets: for them the live diff is skipped and the checks still run.
name: fluxops diff

on:
  pull_request:
    branches: ["@@branch@@"]

permissions:
  contents: read
  pull-requests: write

concurrency:
  group: fluxops-diff-${{ github.event.pull_request.number }}
  cancel-in-progress: true

jobs:
  diff:
    runs-on: ubuntu-24.04
    timeout-minutes: 20
    env:
      FLUXOPS_SITES: "@@siteList@@"
    steps:
      # All branches: `fluxops diff --ref <head branch>` reads the head branch from origin.
      - uses: actions/checkout@v7.0.1
        with:
          fetch-depth: 0
          persist-credentials: false

      # No dependency cache: this job holds a cluster credential, and a cache written by one
      # pull request would be restored into the next one.
      - uses: actions/setup-node@v7.0.0
        with:
          node-version: 22

      - name: Install
        shell: bash
        run: |
          if [ -f package-lock.json ]; then
            npm ci --no-audit --no-fund
          else
            echo "::warning file=package.json::no package-lock.json: run npm install and commit package-lock.json for reproducible installs"
            npm install --no-audit --no-fund
          fi

      - name: Type-check fleet.ts
        run: npx tsc --noEmit

      - name: Synthesize every site (strict image lock)
        run: npx fluxops synth --all-sites --strict --out "$RUNNER_TEMP/manifests"

      - name: Diff every site against its live cluster
        id: diff
        shell: bash
        env:
          KUBECONFIG_DATA: ${{ secrets.FLUXOPS_KUBECONFIG }}
          HEAD_REF: ${{ github.head_ref }}
        run: |
          if [ -z "$KUBECONFIG_DATA" ]; then
            echo "::warning::the secret FLUXOPS_KUBECONFIG is not available (not set, or a pull request from a fork): live diff skipped"
            exit 0
          fi
          umask 077
          kubeconfig="$RUNNER_TEMP/fluxops-kubeconfig"
          comment="$RUNNER_TEMP/fluxops-diff.md"
          trap 'rm -f "$kubeconfig"' EXIT
          printf '%s\n' "$KUBECONFIG_DATA" > "$kubeconfig"
          printf '%s\n' '<!-- fluxops-diff -->' > "$comment"
          failed=false
          for site in $FLUXOPS_SITES; do
            code=0
            npx fluxops diff --ref "$HEAD_REF" --site "$site" --kubeconfig "$kubeconfig" --context "$site" \
              --output markdown > "$RUNNER_TEMP/site.md" 2> "$RUNNER_TEMP/site.err" || code=$?
            cat "$RUNNER_TEMP/site.err" >&2
            # 0: no difference, 1: differences (a result, not a failure); anything else, or no output: an error
            if [ "$code" -le 1 ] && [ -s "$RUNNER_TEMP/site.md" ]; then
              cat "$RUNNER_TEMP/site.md" >> "$comment"
            else
              failed=true
              echo "::error::fluxops diff failed for site $site (exit code $code)"
              {
                # shellcheck disable=SC2016 # the backticks are Markdown
                printf '### FluxOps diff for site `%s` failed (exit code %s)\n\n```\n' "$site" "$code"
                tail -n 40 "$RUNNER_TEMP/site.err"
                printf '```\n'
              } >> "$comment"
            fi
            echo >> "$comment"
          done
          cat "$comment" >> "$GITHUB_STEP_SUMMARY"
          echo "comment=$comment" >> "$GITHUB_OUTPUT"
          echo "failed=$failed" >> "$GITHUB_OUTPUT"

      - name: Post the diff on the pull request
        if: ${{ !cancelled() && steps.diff.outputs.comment != '' }}
        uses: actions/github-script@v8.0.0
        env:
          COMMENT_FILE: ${{ steps.diff.outputs.comment }}
        with:
          script: |
            const fs = require('node:fs');
            const marker = '<!-- fluxops-diff -->';
            let body = fs.readFileSync(process.env.COMMENT_FILE, 'utf8');
            const limit = 60000; // GitHub refuses comments over 65536 characters
            if (body.length > limit) body = `${body.slice(0, limit)}\n\n[truncated: the job summary has the whole diff]\n`;
            const { owner, repo } = context.repo;
            const issue_number = context.issue.number;
            const comments = await github.paginate(github.rest.issues.listComments, { owner, repo, issue_number, per_page: 100 });
            const previous = comments.find((c) => c.user?.type === 'Bot' && c.body?.startsWith(marker));
            if (previous) {
              await github.rest.issues.updateComment({ owner, repo, comment_id: previous.id, body });
              core.info(`updated comment ${previous.html_url}`);
            } else {
              const { data } = await github.rest.issues.createComment({ owner, repo, issue_number, body });
              core.info(`created comment ${data.html_url}`);
            }

      - name: Fail if a site could not be diffed
        if: ${{ steps.diff.outputs.failed == 'true' }}
        run: exit 1
