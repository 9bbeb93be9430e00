#!/usr/bin/env bash
# npm run dev: everything on a fresh machine with one command: dependencies, a local Kafka broker and the
# database server (scripts/stack.ts), the schema, then the service on :8083 (PORT) with logs on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/ensure-node.sh
node scripts/stack.ts up
exec node src/main.ts
