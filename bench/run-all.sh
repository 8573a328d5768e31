#!/usr/bin/env bash
# `npm run bench`: every benchmark of BENCHMARKS.md, one after another, on an idle
# machine. Servers and load generators are pinned to separate cores where it matters.
# Needs wrk and webhook (Debian packages of the same names) for the ingress comparison.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null && command -v webhook >/dev/null || { echo "bench: install wrk and webhook first (apt-get install -y wrk webhook)" >&2; exit 1; }
export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
npm run build --silent
echo "== ingress";        npx tsx bench/ingress/run.ts
echo "== trigger latency"; npx tsx bench/trigger-latency.ts
echo "== runner overhead"; npx tsx bench/runner-overhead.ts
echo "== log volume";     npx tsx bench/log-volume.ts
echo "== queue";          npx tsx bench/queue.ts
echo "== contention";     bash bench/contention.sh
