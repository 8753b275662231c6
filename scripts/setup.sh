#!/usr/bin/env bash
# Installs everything mcsync's demo and test suite need on a fresh Debian machine, as root,
# and is cheap to repeat: each step is skipped when its result is already there.
#   - Debian packages: openssl (cluster certificates), util-linux (setpriv, so components die
#     with their parent), and for the data-plane tests iproute2 (network namespaces, veths,
#     routes), nftables and iptables (kube-proxy programs them), conntrack, and the commands
#     the MCS conformance suite's pods run on the data plane's pod runtime (socat, netcat-openbsd
#     for nc, bind9-dnsutils for nslookup); for the operator
#     tooling tests chromium (the status page), buildah, podman, crun, runc, umoci, skopeo,
#     mmdebstrap (the image, built and run daemonless), zsh (the completion script)
#   - Debian's prometheus package unpacked (not installed: that would start a server on :9090)
#     into ~/.cache/mcsync/prometheus, for promtool and a real Prometheus in the tests
#   - npm dependencies (Node 24 comes in as the `node` devDependency), the TypeScript build
#   - kube-apiserver, kube-controller-manager, kubectl, etcd, kube-proxy, CoreDNS,
#     kube-network-policies, kube-scheduler and kwok (clusters that run pods), and helm (the
#     chart tests), built from their Go modules into
#     ~/.cache/mcsync (MCSYNC_CACHE_DIR) unless MCSYNC_K8S_BIN_DIR points at existing binaries;
#     and the control plane of the oldest supported Kubernetes too (docs/versions.md), which
#     `npm test` also runs the core integration tests against
#   - the upstream MCS conformance suite's test binary (harness/src/conformance/build.ts), cached there too
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'setup: %s\n' "$*" >&2; }

# Network tools live in sbin, which a non-root PATH may lack.
have() { command -v "$1" >/dev/null || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]; }
missing=()
# command:package. The network tools are for the data-plane tests; the rest for the operator
# tooling tests: the status page in a headless browser, the image built and run without a
# daemon (crun refuses hosts with cgroup v1 controllers on the v2 hierarchy, so runc too), and
# the zsh completion script checked by zsh itself.
for need in openssl:openssl setpriv:util-linux ip:iproute2 nft:nftables iptables:iptables \
    conntrack:conntrack chromium:chromium buildah:buildah podman:podman crun:crun runc:runc \
    umoci:umoci skopeo:skopeo mmdebstrap:mmdebstrap zsh:zsh \
    socat:socat nc.openbsd:netcat-openbsd nslookup:bind9-dnsutils; do
  have "${need%%:*}" || missing+=("${need#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    say "missing Debian packages: ${missing[*]}; install them (sudo apt-get install ${missing[*]}) and run again"
    exit 1
  fi
  say "installing ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

cache="${MCSYNC_CACHE_DIR:-$HOME/.cache/mcsync}"
if [ ! -x "$cache/prometheus/usr/bin/promtool" ]; then
  say "unpacking Debian's prometheus package into $cache/prometheus"
  tmp=$(mktemp -d)
  (cd "$tmp" && { apt-get download prometheus >/dev/null 2>&1 || { apt-get update -qq && apt-get download prometheus >/dev/null; }; })
  mkdir -p "$cache/prometheus"
  dpkg-deb -x "$tmp"/prometheus_*.deb "$cache/prometheus"
  rm -rf "$tmp"
fi

if ! command -v npm >/dev/null; then
  say "npm is needed (Node.js 20 or newer with npm); install it and run again"
  exit 1
fi
if ! command -v go >/dev/null && [ -z "${MCSYNC_K8S_BIN_DIR:-}" ]; then
  say "Go is needed to build the Kubernetes components from their modules (go.dev/doc/install),"
  say "or set MCSYNC_K8S_BIN_DIR to a directory with etcd, kube-apiserver, kube-controller-manager, kubectl"
  exit 1
fi

# npm ci only when the lock file changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error
fi

say "building mcsync"
npm run --silent build

npm run --silent clusters -- build --with-helm --data-plane --pods >/dev/null
# Always from the modules: a MCSYNC_K8S_BIN_DIR holds one release, the default one.
MCSYNC_K8S_VERSION=oldest MCSYNC_K8S_BIN_DIR= npm run --silent clusters -- build >/dev/null
# The Node 24 npm installed, which runs TypeScript as is (the system one may be older).
PATH="$PWD/node_modules/.bin:$PATH" node harness/src/conformance/build.ts >/dev/null
say "ready"
