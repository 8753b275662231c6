#!/usr/bin/env bash
# Builds the Cluster Inventory API's `secretreader` credential plugin (KEP-5339) from its Go
# module (the module proxy, never a release download) into a cache directory outside the
# repository, once per pinned version: the real exec plugin the inventory tests run.
#
# Inputs (environment): MCSYNC_BUILD_DIR (where to build; bin/ holds the result),
# INVENTORY_API_VERSION (e.g. v0.1.2). The module builds as a plain dependency of a generated
# one, so the binary's Go build info names the module and version the harness checks.
set -euo pipefail

: "${MCSYNC_BUILD_DIR:?}" "${INVENTORY_API_VERSION:?}"
# shellcheck source=module-workspace.sh
. "$(dirname "$0")/module-workspace.sh"
module_workspace mcsync.local/inventory-plugin "sigs.k8s.io/cluster-inventory-api@$INVENTORY_API_VERSION"
pkg="sigs.k8s.io/cluster-inventory-api/plugins/secretreader/cmd/plugin"
echo "building secretreader-plugin from $pkg@$INVENTORY_API_VERSION" >&2
go build -trimpath -ldflags "-s -w" -o "$bin_dir/secretreader-plugin.tmp" "$pkg"
mv "$bin_dir/secretreader-plugin.tmp" "$bin_dir/secretreader-plugin"
