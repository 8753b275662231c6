# Sourced by the build scripts that build a Go module's command as a plain dependency of a
# generated module: prepares $MCSYNC_BUILD_DIR/src (the generated module, once) and
# $MCSYNC_BUILD_DIR/bin (where results go), and leaves the shell in src.
#   module_workspace GENERATED_MODULE_NAME MODULE@VERSION
module_workspace() {
  export CGO_ENABLED=0 GOFLAGS=-mod=mod
  src_dir="$MCSYNC_BUILD_DIR/src"
  bin_dir="$MCSYNC_BUILD_DIR/bin"
  mkdir -p "$src_dir" "$bin_dir"
  cd "$src_dir"
  if [ ! -f .prepared ]; then
    rm -f go.mod go.sum
    go mod init "$1"
    go get "$2"
    touch .prepared
  fi
}
