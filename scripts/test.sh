#!/usr/bin/env bash
# berth's test command (npm test): type-check and compile, start the real
# engines that can run here, run every test with tap, stop the engines.
#
#   npm test                      everything
#   npm test -- build/test/unit   only some tests (paths under build/test, or tap options)
#
# Env: BERTH_TEST_ENGINES=FILE reuses running engines (scripts/test-engines.sh up);
#      BERTH_NO_ENGINES=1 runs without real engines (integration tests skip);
#      BERTH_REQUIRE_ENGINES=all|names makes a missing engine a failure (CI).
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf dist build
npx tsc -p tsconfig.json
npx tsc -p tsconfig.test.json
ENGINE_DIR=""
cleanup() { if [ -n "$ENGINE_DIR" ]; then scripts/test-engines.sh down "$ENGINE_DIR"; fi; }
trap cleanup EXIT
if [ -z "${BERTH_TEST_ENGINES:-}" ] && [ -z "${BERTH_NO_ENGINES:-}" ]; then
  ENGINE_DIR=$(scripts/test-engines.sh up)
  export BERTH_TEST_ENGINES="$ENGINE_DIR/engines.json"
  if [ -s "$ENGINE_DIR/missing" ]; then
    echo "engines that could not start (their tests skip):" >&2
    sed 's/^/  /' "$ENGINE_DIR/missing" >&2
  fi
  echo "engines: $(python3 -c 'import json,sys; print(" ".join(e["name"] for e in json.load(open(sys.argv[1]))["engines"]) or "none")' "$BERTH_TEST_ENGINES")" >&2
fi
# tap skips git-ignored folders when it searches, so name the compiled tests
if [ $# -eq 0 ]; then mapfile -t tests < <(find build/test -name '*.test.js' | sort); set -- "${tests[@]}"; fi
status=0
npx tap "$@" || status=$?
# a test run leaves no container behind: on engines this run started, any is a failure
if [ -n "$ENGINE_DIR" ] && ! scripts/test-engines.sh leftovers "$ENGINE_DIR" > "$ENGINE_DIR/leftovers"; then
  echo "tests left containers behind:" >&2
  sed 's/^/  /' "$ENGINE_DIR/leftovers" >&2
  [ "$status" -ne 0 ] || status=1
fi
exit "$status"
