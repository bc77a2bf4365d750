#!/usr/bin/env bash
# Builds the real components FluxOps runs against (Kubernetes control plane, kine, kwok, Pulumi
# CLI, Node language host, Kubernetes provider) from their Go modules into a per-machine cache
# keyed by the pinned versions in versions.env, plus the Flux CRDs the tests validate the flux
# flavor against (pinned in flux-versions.env) and actionlint, which the tests run on generated
# workflows (pinned in lint-versions.env). Re-running it when the cache is complete does
# nothing. Prints the bin directory on its last line of stdout.
#
# usage: build.sh [--quiet-if-cached] [step | image | bench]
#   image: the cross builds `fluxops image build` needs; bench: the Flux controllers `npm run bench`
#   compares against (opt-in: `build.sh` alone never builds them).
# Progress: one line per step on stderr (updated in place on a terminal); all build output goes to
# <cache>/build.log, whose path is printed first. A failed step prints the end of its output.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=/dev/null
source "$here/versions.env"
# shellcheck source=/dev/null
source "$here/flux-versions.env"
# shellcheck source=/dev/null
source "$here/lint-versions.env"
# shellcheck source=../scripts/progress.sh
source "$here/../scripts/progress.sh"

quiet_if_cached=0
only=all
for arg in "$@"; do
  case "$arg" in
    --quiet-if-cached) quiet_if_cached=1 ;;
    -*) echo "usage: build.sh [--quiet-if-cached] [step | image | bench]" >&2; exit 2 ;;
    *) only="$arg" ;;
  esac
done

key="$(grep -vE '^\s*(#|$)' "$here/versions.env" | sha256sum | cut -c1-12)"
# Not part of the cache key: new Flux pins re-run only the flux_crds step (see marker_for).
flux_key="$(grep -vE '^\s*(#|$)' "$here/flux-versions.env" | sha256sum | cut -c1-12)"
cache_root="${FLUXOPS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/fluxops}"
root="$cache_root/toolchain/$key"
bin="$root/bin"
work="$root/build"
mkdir -p "$bin" "$work"

export GOFLAGS="-mod=mod -buildvcs=false"
export CGO_ENABLED="${CGO_ENABLED:-1}"

# Messages of the build steps themselves; they land in build.log with the rest of their output.
log() { printf '[toolchain %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
done_marker() { echo "$root/.done-$1"; }
is_done() { [ -f "$(done_marker "$1")" ]; }
mark_done() { touch "$(done_marker "$1")"; }
# A step's marker name; flux_crds carries the hash of its own pins and actionlint its version
# (toolchain/locate.ts checks both), so new pins there re-run only that step.
marker_for() {
  case "$1" in
    flux_crds|flux_controllers) echo "$1-$flux_key" ;;
    actionlint) echo "actionlint-$ACTIONLINT_VERSION" ;;
    *) echo "$1" ;;
  esac
}
# module_field <Dir|GoMod> <module@version>: a field of `go mod download -json`. With -json, Go
# reports a failure inside the JSON on stdout; it is repeated on stderr so that it reaches the log.
module_field() {
  local json
  if ! json="$(go mod download -json "$2")"; then
    printf 'go mod download %s failed: %s\n' "$2" "$(printf '%s\n' "$json" | sed -n 's/.*"Error": "\(.*\)".*/\1/p')" >&2
    return 1
  fi
  printf '%s\n' "$json" | sed -n "s/.*\"$1\": \"\\(.*\\)\".*/\\1/p"
}
module_dir() { module_field Dir "$1"; }

# The steps in build order, and how long each took on the 2-core development machine from empty
# Go module and build caches (see README, Toolchain). Shown next to each step as what to expect.
steps=(kubernetes kine kwok kwok_stages pulumi pulumi_language_nodejs pulumi_kubernetes flux_crds actionlint
       pulumi_linux_amd64 pulumi_kubernetes_linux_amd64 pulumi_linux_arm64 pulumi_kubernetes_linux_arm64
       flux_controllers)
declare -A typical_seconds=(
  [kubernetes]=320 [kine]=98 [kwok]=61 [kwok_stages]=2 [pulumi]=184
  [pulumi_language_nodejs]=17 [pulumi_kubernetes]=437 [flux_crds]=20 [actionlint]=17
  # The cross builds run the same recipes as pulumi/pulumi_kubernetes (cgo off, another GOARCH):
  # shown with those steps' quiet-machine times; see README for what they took under load.
  [pulumi_linux_amd64]=184 [pulumi_kubernetes_linux_amd64]=437
  [pulumi_linux_arm64]=184 [pulumi_kubernetes_linux_arm64]=437
  # Not timed on a quiet machine: 2847 s at nice 19 with a load average of ~20 (two big modules:
  # helm, cloud SDKs); the figure shown is a guess for a quiet machine.
  [flux_controllers]=600
)
# A group name selects several steps: `build.sh image` builds only what `fluxops image build` needs.
declare -A step_group=(
  [pulumi_linux_amd64]=image [pulumi_kubernetes_linux_amd64]=image
  [pulumi_linux_arm64]=image [pulumi_kubernetes_linux_arm64]=image
  [flux_controllers]=bench
)
# Groups built only when asked for by name: `build.sh` alone (what setup runs) skips them.
declare -A opt_in_group=([bench]=1)

# --- Kubernetes control plane + kubectl -------------------------------------------------------
build_kubernetes() {
  local dir="$work/kubernetes" v="${K8S_VERSION#v}"
  local major="${v%%.*}" rest="${v#*.}"; local minor="${rest%%.*}"
  rm -rf "$dir"; mkdir -p "$dir"; cd "$dir"
  go mod init fluxops.local/toolchain/kubernetes >/dev/null 2>&1
  local gomod
  gomod="$(module_field GoMod "k8s.io/kubernetes@$K8S_VERSION")"
  # k8s.io/kubernetes replaces its staging modules with ./staging/...; a consumer must point each
  # one at the matching published v0.<minor>.<patch> release.
  local staging=0
  while read -r mod; do
    go mod edit -replace "$mod=$mod@v0.$minor.${v##*.}"
    staging=$((staging + 1))
  done < <(sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "$gomod")
  log "kubernetes: $staging staging modules replaced"
  go get "k8s.io/kubernetes@$K8S_VERSION" >/dev/null
  local pkg=k8s.io/component-base/version
  local ldflags="-s -w -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION"
  ldflags+=" -X k8s.io/client-go/pkg/version.gitMajor=$major -X k8s.io/client-go/pkg/version.gitMinor=$minor"
  CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$bin/" \
    k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler \
    k8s.io/kubernetes/cmd/kubectl
}

# --- kine (SQLite datastore, needs cgo) ---------------------------------------------------------
build_kine() {
  GOBIN="$bin" go install -trimpath -ldflags "-s -w" "github.com/k3s-io/kine@$KINE_VERSION"
}

# --- kwok (simulated nodes and pods) -----------------------------------------------------------
build_kwok() {
  GOBIN="$bin" CGO_ENABLED=0 go install -trimpath \
    -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION" \
    "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
}

# kwok's simulation stages ship as YAML in its module: nodes become Ready and renew their Lease,
# pods go Running. Concatenated into one config file for `kwok --config`.
build_kwok_stages() {
  local src out="$root/kwok/stages.yaml"
  src="$(module_dir "sigs.k8s.io/kwok@$KWOK_VERSION")/kustomize/stage"
  mkdir -p "$root/kwok"; : > "$out.tmp"
  for f in "$src"/node/fast/node-initialize.yaml "$src"/node/heartbeat-with-lease/*.yaml \
           "$src"/pod/fast/pod-ready.yaml "$src"/pod/fast/pod-complete.yaml "$src"/pod/fast/pod-delete.yaml; do
    case "$f" in *kustomization.yaml) continue;; esac
    { echo '---'; cat "$f"; } >> "$out.tmp"
  done
  mv "$out.tmp" "$out"
}

# --- Pulumi CLI ---------------------------------------------------------------------------------
# One recipe for the host toolchain and the image's cross builds:
#   pulumi_cli_build <work dir> <output file> [VAR=value... for `go build`]
# The wrapper module is prepared with the host's Go environment; only `go build` sees the
# variables (GOOS/GOARCH/CGO_ENABLED for a cross build).
pulumi_cli_build() {
  local dir="$1" out="$2"; shift 2
  rm -rf "$dir"; mkdir -p "$dir"; cd "$dir"
  go mod init fluxops.local/toolchain/pulumi >/dev/null 2>&1
  local gomod
  gomod="$(module_field GoMod "github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION")"
  # pkg/v3's own replaces (sdk => ../sdk becomes the same tag; forks are repeated verbatim).
  while read -r from to; do
    [ "$from" = github.com/pulumi/pulumi/sdk/v3 ] && continue
    go mod edit -replace "$from=$to"
  done < <(sed -n 's#^replace \([^ ]*\) => \(.*\)$#\1 \2#p' "$gomod" | sed 's/ \([^ ]*\) \(v[^ ]*\)$/ \1@\2/')
  go get "github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION" "github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION" >/dev/null
  env "$@" go build -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
    -o "$out" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
}
build_pulumi() { pulumi_cli_build "$work/pulumi" "$bin/pulumi"; }

# --- Pulumi Node language host -----------------------------------------------------------------
build_pulumi_language_nodejs() {
  local dir="$work/pulumi-language-nodejs"
  rm -rf "$dir"; mkdir -p "$dir"; cd "$dir"
  go mod init fluxops.local/toolchain/pulumi-language-nodejs >/dev/null 2>&1
  go mod edit -replace "golang.org/x/text=golang.org/x/text@v0.3.6"
  go get "github.com/pulumi/pulumi/sdk/v3@$PULUMI_NODEJS_HOST_SDK_VERSION" >/dev/null
  go build -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_NODEJS_HOST_SDK_VERSION" \
    -o "$bin/pulumi-language-nodejs" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs
}

# --- Pulumi Kubernetes provider ------------------------------------------------------------------
# pulumi_kubernetes_build <work dir> <output file> [VAR=value... for `go build`], like pulumi_cli_build.
pulumi_kubernetes_build() {
  local dir="$1" out="$2" src; shift 2
  src="$(module_dir "github.com/pulumi/pulumi-kubernetes/provider/v4@$PULUMI_K8S_PROVIDER_MODULE_VERSION")"
  rm -rf "$dir"; cp -r "$src" "$dir"; chmod -R u+w "$dir"; cd "$dir"
  # The release builds sdk/ from the same commit; use the published sdk/v4 tag of that release.
  go mod edit -replace "github.com/pulumi/pulumi-kubernetes/sdk/v4=github.com/pulumi/pulumi-kubernetes/sdk/v4@v$PULUMI_K8S_VERSION"
  # schema-embed.json and terraform-mapping-embed.json are generated, not part of the module.
  # The generator runs on the build machine, so it never sees the cross-build variables.
  (cd cmd/pulumi-resource-kubernetes && VERSION="$PULUMI_K8S_VERSION" go run ./generate.go)
  env "$@" go build -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$PULUMI_K8S_VERSION" \
    -o "$out" ./cmd/pulumi-resource-kubernetes
}
build_pulumi_kubernetes() {
  pulumi_kubernetes_build "$work/pulumi-kubernetes" "$bin/pulumi-resource-kubernetes"
  # Also lay it out as an installed plugin, for PULUMI_HOME based lookup.
  local plugdir="$root/plugins/resource-kubernetes-v$PULUMI_K8S_VERSION"
  mkdir -p "$plugdir"
  cp "$bin/pulumi-resource-kubernetes" "$plugdir/"
  touch "$plugdir.lock"
}

# --- Cross builds for the FluxOps image (linux/amd64 and linux/arm64) ---------------------------
# The same recipes with cgo off (static binaries, no C toolchain for the target needed), into
# <cache>/toolchain/<key>/cross/linux-<arch>/bin. The Node language host is not built: the
# reconciler runs inline Automation API programs, which need none.
cross_bin() { echo "$root/cross/linux-$1/bin"; }
pulumi_cross() {
  mkdir -p "$(cross_bin "$1")"
  pulumi_cli_build "$work/pulumi-linux-$1" "$(cross_bin "$1")/pulumi" GOOS=linux GOARCH="$1" CGO_ENABLED=0
}
pulumi_kubernetes_cross() {
  mkdir -p "$(cross_bin "$1")"
  pulumi_kubernetes_build "$work/pulumi-kubernetes-linux-$1" "$(cross_bin "$1")/pulumi-resource-kubernetes" GOOS=linux GOARCH="$1" CGO_ENABLED=0
}
build_pulumi_linux_amd64() { pulumi_cross amd64; }
build_pulumi_kubernetes_linux_amd64() { pulumi_kubernetes_cross amd64; }
build_pulumi_linux_arm64() { pulumi_cross arm64; }
build_pulumi_kubernetes_linux_arm64() { pulumi_kubernetes_cross arm64; }

# --- Flux CRDs (test data: `synth --flavor flux` is dry-run against them) -----------------------
# source- and kustomize-controller ship their generated CRDs in config/crd/bases of their modules.
# The image controllers' main modules are not on the proxy, only their api modules, so their CRDs
# are generated from those Go types the way Flux's `make manifests` does.
build_flux_crds() {
  local out="$root/flux-crds" tmp="$root/flux-crds.tmp" dir="$work/flux-crds"
  local gomod pin mod ver src
  rm -rf "$tmp" "$dir"; mkdir -p "$tmp" "$dir/bin"; cd "$dir"
  # The pins must be the set one Flux release ships (its go.mod pins the controllers' APIs).
  gomod="$(go list -m -json "github.com/fluxcd/flux2/v2@$FLUX_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  for pin in "source-controller/api $FLUX_SOURCE_CONTROLLER_VERSION" "kustomize-controller/api $FLUX_KUSTOMIZE_CONTROLLER_VERSION" \
             "image-reflector-controller/api $FLUX_IMAGE_REFLECTOR_API_VERSION" "image-automation-controller/api $FLUX_IMAGE_AUTOMATION_API_VERSION" \
             "notification-controller/api $FLUX_NOTIFICATION_API_VERSION"; do
    if ! grep -qE "^\s*github.com/fluxcd/${pin% *} ${pin#* }(\s|$)" "$gomod"; then
      log "flux_crds: flux2 $FLUX_VERSION does not pin github.com/fluxcd/${pin% *} ${pin#* } (see flux-versions.env)"
      return 1
    fi
  done
  for pin in "source-controller $FLUX_SOURCE_CONTROLLER_VERSION" "kustomize-controller $FLUX_KUSTOMIZE_CONTROLLER_VERSION"; do
    src="$(module_dir "github.com/fluxcd/${pin% *}@${pin#* }")"
    install -m 0644 "$src"/config/crd/bases/*.yaml "$tmp/"
  done
  GOBIN="$dir/bin" CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" \
    "sigs.k8s.io/controller-tools/cmd/controller-gen@$CONTROLLER_GEN_VERSION"
  for pin in "image-reflector-controller $FLUX_IMAGE_REFLECTOR_API_VERSION" "image-automation-controller $FLUX_IMAGE_AUTOMATION_API_VERSION" \
             "notification-controller $FLUX_NOTIFICATION_API_VERSION"; do
    mod="${pin% *}"; ver="${pin#* }"
    src="$(module_dir "github.com/fluxcd/$mod/api@$ver")"
    cp -r "$src" "$dir/$mod"; chmod -R u+w "$dir/$mod"
    # As in the controllers' Makefiles: CRD_OPTIONS ?= crd:crdVersions=v1, run inside api/.
    (cd "$dir/$mod" && "$dir/bin/controller-gen" crd:crdVersions=v1 paths=./... output:crd:artifacts:config="$tmp")
  done
  log "flux_crds: $(ls "$tmp" | wc -l) CRDs from Flux $FLUX_VERSION"
  rm -rf "$out"; mv "$tmp" "$out"
}

# --- Flux controllers (the peer `npm run bench` measures FluxOps against; opt-in, group bench) --
# source-controller and kustomize-controller of the Flux release in flux-versions.env, built from
# their main modules the way their Dockerfiles do (cgo off, -trimpath). Each module replaces its
# api submodule with ./api, which a module download does not contain (a nested module is a module
# of its own): that replace is pointed at the published api module of the same version, which is
# also the one flux2 pins (checked by flux_crds). The other replaces stay as the release has them.
build_flux_controllers() {
  local pin name ver src dir
  for pin in "source-controller $FLUX_SOURCE_CONTROLLER_VERSION" "kustomize-controller $FLUX_KUSTOMIZE_CONTROLLER_VERSION"; do
    name="${pin% *}"; ver="${pin#* }"
    src="$(module_dir "github.com/fluxcd/$name@$ver")"
    dir="$work/$name"
    rm -rf "$dir"; cp -r "$src" "$dir"; chmod -R u+w "$dir"; cd "$dir"
    go mod edit -replace "github.com/fluxcd/$name/api=github.com/fluxcd/$name/api@$ver"
    # source-controller v1.9.5 requires github.com/fluxcd/pkg/artifact v0.18.3, which the module
    # proxy these machines reach does not serve (it lists v0.18.0 as the newest v0.18): the
    # nearest served patch release of the same minor stands in for it (it compiles unchanged).
    if [ "$name" = source-controller ]; then
      go mod edit -replace "github.com/fluxcd/pkg/artifact=github.com/fluxcd/pkg/artifact@v0.18.0"
    fi
    log "$name $ver: building"
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$bin/$name.tmp" .
    mv "$bin/$name.tmp" "$bin/$name"
  done
}

# --- actionlint (test tool: lints the GitHub Actions workflows `fluxops init` generates) ---------
# A plain `go install` of the release tag: the module has no replace directives. The version shows
# in `actionlint -version` (from the module's build info).
build_actionlint() {
  GOBIN="$bin" CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" \
    "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
}

# Tests replace the step list and the build functions here (never the real toolchain).
if [ -n "${FLUXOPS_TOOLCHAIN_TEST_STEPS_FILE:-}" ]; then
  # shellcheck source=/dev/null
  source "$FLUXOPS_TOOLCHAIN_TEST_STEPS_FILE"
fi

selected=()
for c in "${steps[@]}"; do
  g="${step_group[$c]:-}"
  opt_in=0; [ -n "$g" ] && [ -n "${opt_in_group[$g]:-}" ] && opt_in=1
  if { [ "$only" = all ] && [ "$opt_in" = 0 ]; } || [ "$only" = "$c" ] || [ "$only" = "$g" ]; then selected+=("$c"); fi
done
if [ ${#selected[@]} -eq 0 ]; then
  groups=()
  for c in "${steps[@]}"; do
    g="${step_group[$c]:-}"
    if [ -n "$g" ] && [[ " ${groups[*]} " != *" $g "* ]]; then groups+=("$g"); fi
  done
  echo "build.sh: unknown step '$only' (steps: ${steps[*]}${groups[*]:+; groups: ${groups[*]}})" >&2
  exit 2
fi

todo=0 todo_seconds=0
for c in "${selected[@]}"; do
  if ! is_done "$(marker_for "$c")"; then todo=$((todo + 1)); todo_seconds=$((todo_seconds + ${typical_seconds[$c]:-0})); fi
done
if [ "$todo" -eq 0 ]; then
  if [ "$quiet_if_cached" = 0 ]; then
    if [ "$only" = all ]; then printf '[toolchain] all %d steps cached: %s\n' "${#selected[@]}" "$bin" >&2
    else printf '[toolchain] %s cached: %s\n' "$only" "$bin" >&2
    fi
  fi
  echo "$bin"
  exit 0
fi

# One build per cache at a time (two checkouts may set up at once).
exec 9>"$root/.lock"
if ! flock -n 9; then
  printf '[toolchain] another build of %s is running; waiting for it\n' "$root" >&2
  flock 9
fi

progress_log_to "$root/build.log"
printf '[toolchain] building %d of %d steps into %s (typically %s in total on 2 cores; once per machine)\n' \
  "$todo" "${#selected[@]}" "$root" "$(progress_typical "$todo_seconds")" >&2
printf '[toolchain] build output: %s\n' "$PROGRESS_LOG" >&2
total_start=$SECONDS
n=0
for c in "${selected[@]}"; do
  n=$((n + 1))
  prefix="[toolchain $n/${#selected[@]}]"
  marker="$(marker_for "$c")"
  if is_done "$marker"; then
    printf '%s %s: cached\n' "$prefix" "$c" >&2
    continue
  fi
  progress_step "$prefix" "$c" building "${typical_seconds[$c]:--}" "build_$c"
  mark_done "$marker"
done
printf '[toolchain] ready in %d s: %s\n' "$((SECONDS - total_start))" "$bin" >&2
echo "$bin"
