#!/usr/bin/env bash
# Installs what Outrigger needs on a fresh Debian machine and builds it.
# Safe to run again: each step is skipped when its result is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*"; }

# 1. Debian packages for the real peers: netfilter front ends, iproute2, curl.
#    Each entry is "command:package".
wanted=(iptables:iptables ip6tables:iptables nft:nftables ip:iproute2 curl:curl setpriv:util-linux nsenter:util-linux python3:python3 make:make g++:g++)
missing=()
for entry in "${wanted[@]}"; do
  cmd=${entry%%:*} pkg=${entry##*:}
  if ! command -v "$cmd" >/dev/null 2>&1 && ! [ -x "/usr/sbin/$cmd" ] && ! [ -x "/sbin/$cmd" ]; then
    [[ " ${missing[*]-} " == *" $pkg "* ]] || missing+=("$pkg")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    log "missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})"
    exit 1
  fi
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 2. npm dependencies, when package-lock.json changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error
fi

# 3. The native addon, built offline against the installed Node headers.
addon=native/build/Release/outrigger_native.node
if [ ! -f "$addon" ] || [ native/outrigger_native.c -nt "$addon" ] || [ native/binding.gyp -nt "$addon" ]; then
  log "building the native addon"
  nodedir=$(dirname "$(dirname "$(command -v node)")")
  [ -f "$nodedir/include/node/node_api.h" ] || nodedir=/usr
  (cd native && ../node_modules/.bin/node-gyp rebuild --nodedir="$nodedir" --loglevel=error >/dev/null)
fi

# 4. TypeScript to dist/ (incremental: a no-op when nothing changed). A source whose
#    mtime moved but whose output did not change (a checkout, a touch) is not re-emitted;
#    its output is marked current, so that checks of dist's freshness (the e2e tests')
#    do not mistake it for a stale build.
npx --no-install tsc -p tsconfig.json
find src -name '*.ts' ! -name '*.d.ts' | while read -r ts; do
  js="dist/${ts#src/}"; js="${js%.ts}.js"
  if [ -f "$js" ] && [ "$ts" -nt "$js" ]; then touch "$js"; fi
done
log "ready: bin/outrigger $(node -e 'console.log(require("./package.json").version)')"
