#!/usr/bin/env bash
# The issue's contention test at full size: 2,000 queued builds of a trivial script,
# 4 `kickoff worker` processes (KICKOFF_CONCURRENCY=2 each) on one PostgreSQL, one intake
# process reporting check runs to the GitHub stand-in. Prints the throughput; record it
# in BENCHMARKS.md. The suite runs the same test with 300 builds.
set -euo pipefail
cd "$(dirname "$0")/.."
export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
export KICKOFF_CONTENTION_BUILDS="${KICKOFF_CONTENTION_BUILDS:-2000}"
exec npx vitest run test/e2e/postgres-contention.test.ts
