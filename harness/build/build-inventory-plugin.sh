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
export CGO_ENABLED=0 GOFLAGS=-mod=mod

src_dir="$MCSYNC_BUILD_DIR/src"
bin_dir="$MCSYNC_BUILD_DIR/bin"
mkdir -p "$src_dir" "$bin_dir"
cd "$src_dir"
if [ ! -f .prepared ]; then
  rm -f go.mod go.sum
  go mod init mcsync.local/inventory-plugin
  go get "sigs.k8s.io/cluster-inventory-api@$INVENTORY_API_VERSION"
  touch .prepared
fi
pkg="sigs.k8s.io/cluster-inventory-api/plugins/secretreader/cmd/plugin"
echo "building secretreader-plugin from $pkg@$INVENTORY_API_VERSION" >&2
go build -trimpath -ldflags "-s -w" -o "$bin_dir/secretreader-plugin.tmp" "$pkg"
mv "$bin_dir/secretreader-plugin.tmp" "$bin_dir/secretreader-plugin"
