#!/usr/bin/env bash
# The README's demo: installs what is missing, then runs Bookinfo as a mesh on the
# local runtime — injected sidecars configured by discovery, traffic through them,
# Istio routing applied and followed — and removes it again. Safe to run twice.
# `npm run demo:capture` shows transparent capture alone. `--keep` leaves the mesh running.
set -euo pipefail
cd "$(dirname "$0")/.."
keep=false
for arg in "$@"; do
  case "$arg" in
    --keep) keep=true ;;
    *) echo "usage: npm run demo [-- --keep]" >&2; exit 2 ;;
  esac
done
bash scripts/setup.sh

# Where the demo's cluster lives; the test of the demo moves it out of a user's way.
state=${OUTRIGGER_DEMO_STATE:-/run/outrigger-demo}
prefix=${OUTRIGGER_DEMO_PREFIX:-outrigger-demo-}
pod_cidr=${OUTRIGGER_DEMO_POD_CIDR:-10.247.0.0/16}
service_cidr=${OUTRIGGER_DEMO_SERVICE_CIDR:-10.99.0.0/16}
out() { node bin/outrigger "$@"; }
cli() { out "$1" --state-dir "$state" "${@:2}"; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
down() { if [ -e "$state/state.json" ]; then cli down >/dev/null 2>&1 || true; fi; }

# A run interrupted earlier leaves its cluster: remove it first.
down
trap down EXIT

step "outrigger up: Bookinfo in a namespace labelled istio-injection=enabled, with istiod (--discovery)"
cli up -f samples/bookinfo/bookinfo.yaml -f samples/bookinfo/mesh/namespace.yaml --discovery \
  --netns-prefix "$prefix" --pod-cidr "$pod_cidr" --service-cidr "$service_cidr" --wait 120

pod() { cli get pods | awk -v app="$1" '$1 ~ "^"app"-" {print $1; exit}'; }
productpage=$(pod productpage-v1)

pages() {
  cli exec "$productpage" -- sh -c "for i in \$(seq $1); do curl -s -m 5 http://productpage:9080/productpage | grep -o 'Reviews served by: [^ ]*' || echo 'no reviews'; done" | sort | uniq -c
}

step "What the injector added to productpage: istio-init (capture) and istio-proxy (uid 1337)"
# describe's container sections, each container's args on one line.
cli describe pod "$productpage" | awk '
  /^Conditions:/ { exit }
  /^(Init Containers|Containers):/ || /^  [a-z-]+:$/ || /^    (Image|User|Readiness):/ { print; next }
  /^    Args:/ { inargs = 1; args = ""; next }
  inargs && /^      / { sub(/^ +/, ""); args = args " " ($0 == "" ? "\"\"" : $0); next }
  inargs { print "    Args:          " args; inargs = 0 }'

step "Six pages from productpage, each assembled through the sidecars (reviews v1, v2, v3 share the load)"
pages 6

step "productpage's sidecar, as istioctl proxy-config shows it (outbound routes and reviews clusters)"
OUTRIGGER_STATE_DIR="$state" out pc routes "$productpage" --name 9080
OUTRIGGER_STATE_DIR="$state" out pc clusters "$productpage" --fqdn reviews.default.svc.cluster.local

step "outrigger apply: DestinationRules with subsets, then a VirtualService sending every reviews call to v1"
cli apply -f samples/bookinfo/networking/destination-rule-all.yaml
cli apply -f samples/bookinfo/networking/virtual-service-all-v1.yaml
sleep 3
pages 6

step "Shift: half of the reviews traffic to v3"
cli apply -f samples/bookinfo/networking/virtual-service-reviews-50-v3.yaml
sleep 3
pages 40

step "Per-user routing and fault injection: jason gets reviews v2, and ratings aborts his calls with HTTP 500"
cli apply -f samples/bookinfo/networking/virtual-service-reviews-jason-v2-v3.yaml
cli apply -f samples/bookinfo/networking/virtual-service-ratings-test-abort.yaml
sleep 3
as_user() {
  cli exec "$productpage" -- curl -s -m 5 "http://productpage:9080/productpage" -H "end-user: $1" |
    grep -o -E 'Reviews served by: [^ ]*|Ratings service is currently unavailable|class="stars"' | sort | uniq -c | sed "s/^/  $1: /"
}
as_user jason
as_user alice

step "What productpage's sidecar counted (successful requests per cluster)"
cli exec "$productpage" -- curl -s 'http://127.0.0.1:15000/stats?filter=upstream_rq_2xx' | grep -v ': 0$'

step "The reviews endpoints productpage's sidecar balances over, and the listeners that captured traffic lands on"
OUTRIGGER_STATE_DIR="$state" out pc endpoints "$productpage" --cluster 'outbound|9080|v3|reviews.default.svc.cluster.local'
OUTRIGGER_STATE_DIR="$state" out pc listeners "$productpage" --port 9080

step "Capture at work: productpage's ISTIO_* rules with their packet counters"
cli iptables-save "$productpage" | grep -E '^\[[0-9]+:[0-9]+\] -A ISTIO_(OUTPUT|INBOUND|REDIRECT|IN_REDIRECT)' | grep -v '^\[0:0\]' || true

if $keep; then
  trap - EXIT
  step "Still running (--keep)"
  echo "explore: node bin/outrigger get pods -A --state-dir $state"
  echo "         node bin/outrigger exec $productpage --state-dir $state -- curl -s productpage:9080/productpage"
  echo "stop:    node bin/outrigger down --state-dir $state"
  exit 0
fi

step "outrigger down"
trap - EXIT
cli down
