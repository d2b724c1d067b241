#!/usr/bin/env bash
# The README's demo: installs what is missing, then runs Bookinfo as a mesh on the
# local runtime — injected sidecars configured by discovery, traffic through them,
# Istio routing applied and followed — and removes it again. Safe to run twice.
# `npm run demo:capture` shows transparent capture alone.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

state=/run/outrigger-demo
prefix=outrigger-demo-
out() { node bin/outrigger "$@"; }
cli() { out "$1" --state-dir "$state" "${@:2}"; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
down() { if [ -e "$state/state.json" ]; then cli down >/dev/null 2>&1 || true; fi; }

# A run interrupted earlier leaves its cluster: remove it first.
down
trap down EXIT

step "outrigger up: Bookinfo in a namespace labelled istio-injection=enabled, with istiod (--discovery)"
cli up -f samples/bookinfo/bookinfo.yaml -f samples/bookinfo/mesh/namespace.yaml --discovery \
  --netns-prefix "$prefix" --pod-cidr 10.247.0.0/16 --service-cidr 10.99.0.0/16 --wait 120

pod() { cli get pods | awk -v app="$1" '$1 ~ "^"app"-" {print $1; exit}'; }
productpage=$(pod productpage-v1)

pages() {
  cli exec "$productpage" -- sh -c "for i in \$(seq $1); do curl -s -m 5 http://productpage:9080/productpage | grep -o 'Reviews served by: [^ ]*' || echo 'no reviews'; done" | sort | uniq -c
}

step "Six pages from productpage, each assembled through the sidecars (reviews v1, v2, v3 share the load)"
pages 6

step "productpage's sidecar, as istioctl proxy-config shows it (outbound routes and reviews clusters)"
ip netns exec "${prefix}default-${productpage}" node bin/outrigger pc routes 127.0.0.1:15000 --name 9080
ip netns exec "${prefix}default-${productpage}" node bin/outrigger pc clusters 127.0.0.1:15000 --fqdn reviews.default.svc.cluster.local

step "outrigger apply: DestinationRules with subsets, then a VirtualService sending every reviews call to v1"
cli apply -f samples/bookinfo/networking/destination-rule-all.yaml
cli apply -f samples/bookinfo/networking/virtual-service-all-v1.yaml
sleep 3
pages 6

step "Shift: half of the reviews traffic to v3"
cli apply -f samples/bookinfo/networking/virtual-service-reviews-50-v3.yaml
sleep 3
pages 40

step "What productpage's sidecar counted (successful requests per cluster)"
cli exec "$productpage" -- curl -s 'http://127.0.0.1:15000/stats?filter=upstream_rq_2xx' | grep -v ': 0$'

step "outrigger down"
trap - EXIT
cli down
