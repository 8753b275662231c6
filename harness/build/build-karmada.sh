#!/usr/bin/env bash
# Builds Karmada's control-plane binaries from its own Go module (the module proxy, never a
# release download) into a cache directory outside the repository, once per pinned version.
#
# Inputs (environment): MCSYNC_BUILD_DIR (where to build; bin/ holds results), KARMADA_VERSION
# (e.g. v1.18.2), and the binaries to build as arguments (karmada-controller-manager
# karmada-scheduler karmada-webhook karmada-aggregated-apiserver karmada-agent).
#
# Karmada's go.mod has no replace directives, so the module builds as a plain dependency of a
# generated one; the version goes in through the same ldflags Karmada's own hack/ scripts set, and
# the harness checks a cached binary by the module version in its Go build info.
set -euo pipefail

: "${MCSYNC_BUILD_DIR:?}" "${KARMADA_VERSION:?}"
# shellcheck source=module-workspace.sh
. "$(dirname "$0")/module-workspace.sh"
module_workspace mcsync.local/karmada "github.com/karmada-io/karmada@$KARMADA_VERSION"

ldflags="-s -w -X github.com/karmada-io/karmada/pkg/version.gitVersion=$KARMADA_VERSION -X github.com/karmada-io/karmada/pkg/version.gitTreeState=clean"
for name in "$@"; do
  case "$name" in
    karmada-controller-manager|karmada-scheduler|karmada-webhook|karmada-aggregated-apiserver|karmada-agent) ;;
    *) echo "unknown karmada binary: $name" >&2; exit 2 ;;
  esac
  pkg="github.com/karmada-io/karmada/cmd/${name#karmada-}"
  echo "building $name from $pkg@$KARMADA_VERSION" >&2
  go build -trimpath -ldflags "$ldflags" -o "$bin_dir/$name.tmp" "$pkg"
  mv "$bin_dir/$name.tmp" "$bin_dir/$name"
done
