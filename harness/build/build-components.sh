#!/usr/bin/env bash
# Builds the real Kubernetes control-plane components (and etcd, CoreDNS) from their own Go
# modules into a cache directory outside the repository, once per pinned version.
#
# Inputs (environment): MCSYNC_BUILD_DIR (where to build; bin/ holds results),
# K8S_VERSION (e.g. v1.36.3), ETCD_VERSION (empty = the version Kubernetes itself pins),
# COREDNS_VERSION, KNP_VERSION (kube-network-policies), KWOK_VERSION, and the components to build
# as arguments (kube-apiserver kube-controller-manager kube-scheduler kube-proxy kubectl etcd
# coredns helm kube-network-policies kwok).
#
# Why a generated go.mod: k8s.io/kubernetes replaces its k8s.io/* staging modules with
# ./staging paths, which Go ignores for a dependency; we pin each one to the matching v0.x.
set -euo pipefail

: "${MCSYNC_BUILD_DIR:?}" "${K8S_VERSION:?}" "${COREDNS_VERSION:?}"
minor=${K8S_VERSION#v1.}
staging_version="v0.${minor}"
# GOTOOLCHAIN stays as the user has it: an older Go (>= 1.21) fetches the toolchain Kubernetes
# needs from the module proxy on its own.
export CGO_ENABLED=0 GOFLAGS=-mod=mod

k8s_dir="$MCSYNC_BUILD_DIR/src/kubernetes"
dns_dir="$MCSYNC_BUILD_DIR/src/coredns"
bin_dir="$MCSYNC_BUILD_DIR/bin"
mkdir -p "$k8s_dir" "$dns_dir" "$bin_dir"

prepare_k8s_module() {
  [ -f "$k8s_dir/.prepared" ] && return 0
  cd "$k8s_dir"
  rm -f go.mod go.sum
  go mod init mcsync.local/k8s-components
  local upstream_mod
  upstream_mod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^\s*"GoMod": "\(.*\)",$/\1/p')
  {
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo "replace ("
    grep -E '^\s*k8s\.io/[a-z0-9-]+ => \./staging/' "$upstream_mod" |
      awk -v v="$staging_version" '{ print "\t" $1 " => " $1 " " v }'
    echo ")"
  } >>go.mod
  go mod download k8s.io/kubernetes
  touch .prepared
}

build_k8s() {
  local name=$1 pkg=$2
  cd "$k8s_dir"
  local pkgver="k8s.io/component-base/version"
  local ldflags="-s -w -X $pkgver.gitVersion=$K8S_VERSION -X $pkgver.gitMajor=1 -X $pkgver.gitMinor=${minor%%.*} -X $pkgver.gitTreeState=clean"
  ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION"
  echo "building $name from $pkg@$K8S_VERSION" >&2
  go get "$pkg@$K8S_VERSION" 2>/dev/null || go get "$pkg"
  go build -trimpath -ldflags "$ldflags" -o "$bin_dir/$name.tmp" "$pkg"
  mv "$bin_dir/$name.tmp" "$bin_dir/$name"
}

build_etcd() {
  local etcd_dir="$MCSYNC_BUILD_DIR/src/etcd" want=${ETCD_VERSION:-}
  if [ -z "$want" ]; then
    # The etcd server Kubernetes' own module graph pins: the one it is tested with.
    want=$(cd "$k8s_dir" && go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)
  fi
  mkdir -p "$etcd_dir" && cd "$etcd_dir"
  if [ ! -f go.mod ]; then go mod init mcsync.local/etcd; fi
  echo "building etcd from go.etcd.io/etcd/server/v3@$want" >&2
  go get "go.etcd.io/etcd/server/v3@$want"
  go build -trimpath -ldflags "-s -w" -o "$bin_dir/etcd.tmp" go.etcd.io/etcd/server/v3
  mv "$bin_dir/etcd.tmp" "$bin_dir/etcd"
}

build_helm() {
  local helm_dir="$MCSYNC_BUILD_DIR/src/helm"
  mkdir -p "$helm_dir" && cd "$helm_dir"
  if [ ! -f go.mod ]; then go mod init mcsync.local/helm; fi
  echo "building helm from helm.sh/helm/v3@$HELM_VERSION" >&2
  go get "helm.sh/helm/v3@$HELM_VERSION"
  go build -trimpath -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" -o "$bin_dir/helm.tmp" helm.sh/helm/v3/cmd/helm
  mv "$bin_dir/helm.tmp" "$bin_dir/helm"
}

# The binary has no version flag; Go's build info embedded in it records the module version,
# which is how the harness checks a cached one still matches the pin.
build_knp() {
  local knp_dir="$MCSYNC_BUILD_DIR/src/kube-network-policies"
  local pkg=sigs.k8s.io/kube-network-policies/cmd/kube-network-policies/standard
  mkdir -p "$knp_dir" && cd "$knp_dir"
  if [ ! -f go.mod ]; then go mod init mcsync.local/kube-network-policies; fi
  echo "building kube-network-policies from $pkg@$KNP_VERSION" >&2
  go get "sigs.k8s.io/kube-network-policies@$KNP_VERSION"
  go build -trimpath -ldflags "-s -w" -o "$bin_dir/kube-network-policies.tmp" "$pkg"
  mv "$bin_dir/kube-network-policies.tmp" "$bin_dir/kube-network-policies"
}

# kwok stands in for kubelets: it heartbeats fake Nodes and moves their Pods to Running. Like
# kube-network-policies, a cached one is checked by the module version in its Go build info.
build_kwok() {
  local kwok_dir="$MCSYNC_BUILD_DIR/src/kwok"
  mkdir -p "$kwok_dir" && cd "$kwok_dir"
  if [ ! -f go.mod ]; then go mod init mcsync.local/kwok; fi
  echo "building kwok from sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" >&2
  go get "sigs.k8s.io/kwok@$KWOK_VERSION"
  go build -trimpath -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v}" -o "$bin_dir/kwok.tmp" sigs.k8s.io/kwok/cmd/kwok
  mv "$bin_dir/kwok.tmp" "$bin_dir/kwok"
}

build_coredns() {
  cd "$dns_dir"
  if [ ! -f go.mod ]; then go mod init mcsync.local/coredns; fi
  echo "building coredns from github.com/coredns/coredns@$COREDNS_VERSION" >&2
  go get "github.com/coredns/coredns@$COREDNS_VERSION"
  go build -trimpath -ldflags "-s -w" -o "$bin_dir/coredns.tmp" github.com/coredns/coredns
  mv "$bin_dir/coredns.tmp" "$bin_dir/coredns"
}

for component in "$@"; do
  case "$component" in
    kube-apiserver|kube-controller-manager|kube-scheduler|kube-proxy|kubectl)
      prepare_k8s_module
      build_k8s "$component" "k8s.io/kubernetes/cmd/$component" ;;
    etcd) prepare_k8s_module; build_etcd ;;
    coredns) build_coredns ;;
    helm) : "${HELM_VERSION:?}"; build_helm ;;
    kube-network-policies) : "${KNP_VERSION:?}"; build_knp ;;
    kwok) : "${KWOK_VERSION:?}"; build_kwok ;;
    *) echo "unknown component: $component" >&2; exit 2 ;;
  esac
done
