#!/usr/bin/env bash
# berth's benchmarks (npm run bench): compile, build the ping stub with the
# system C compiler, run the benchmarks in fresh processes side by side
# with their peers, print ratio tables. Benchmarks report; they never fail
# on a number.
#
#   npm run bench                         everything (about half an hour here)
#   npm run bench -- --quick              small workloads, few rounds (a smoke run)
#   npm run bench -- --only ping,load     some benchmarks (--list names them)
#   npm run bench -- --rounds N --out FILE
#
# Env: BERTH_TEST_ENGINES=FILE reuses running engines (scripts/test-engines.sh
# up); otherwise a private dockerd 20.10 is started for the request benchmark
# and stopped at the end. The report goes to build/bench/report.md (and .json).
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -p tsconfig.json
npx tsc -p tsconfig.test.json
mkdir -p build/bench
if command -v "${CC:-gcc}" > /dev/null; then
  "${CC:-gcc}" -O2 -Wall -Wextra -o build/bench/ping-stub scripts/bench/ping-stub.c
else
  echo "bench: no C compiler (${CC:-gcc}); the stub cases of the request benchmark are skipped" >&2
  rm -f build/bench/ping-stub
fi
exec node build/scripts/bench/main.js "$@"
