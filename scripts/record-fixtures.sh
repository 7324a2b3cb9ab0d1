#!/usr/bin/env bash
# Records replay fixtures from real engines (npm run record):
#   scripts/record-fixtures.sh [scenario…] [--engine NAME…]
# Starts the engines (or uses BERTH_TEST_ENGINES), runs the scenarios in
# test/scenarios through the recording proxy, writes test/fixtures/<engine>/.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -p tsconfig.test.json
ENGINE_DIR=""
cleanup() { if [ -n "$ENGINE_DIR" ]; then scripts/test-engines.sh down "$ENGINE_DIR"; fi; }
trap cleanup EXIT
if [ -z "${BERTH_TEST_ENGINES:-}" ]; then
  # the registry fixtures name these ports (test/helpers/engines.ts RECORDED_REGISTRIES)
  export BERTH_REGISTRY_PORTS=${BERTH_REGISTRY_PORTS:-"5081 5082"}
  ENGINE_DIR=$(scripts/test-engines.sh up)
  export BERTH_TEST_ENGINES="$ENGINE_DIR/engines.json"
fi
node build/scripts/record.js "$@"
