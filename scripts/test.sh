#!/usr/bin/env bash
# npm test: the whole suite, on a fresh clone too. Installs dependencies when they are missing, checks the
# code (format, lint, types, layering), then runs the unit and integration tests. The integration tests
# start their own Kafka broker on a free port and create their own databases: dev data is never touched.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/ensure-node.sh
npm run --silent lint
source scripts/lib/vitest-summary.sh
run_vitest_with_summary tests "$@"
