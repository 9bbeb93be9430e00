#!/usr/bin/env bash
# npm run test:reliability: the crash, outage, scale-out and bad-input scenarios, on a fresh clone
# too. Like npm test, it starts its own Kafka broker (and, for the outage scenarios, its own database server).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/ensure-node.sh
source scripts/lib/vitest-summary.sh
run_vitest_with_summary reliability --config vitest.reliability.config.ts "$@"
