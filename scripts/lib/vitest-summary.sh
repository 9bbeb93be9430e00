# Sourced by the test scripts: runs vitest with the given arguments and ends with one plain closing line,
# "<suite>: N passed, N failed", that any CI can read; the exit code is vitest's.
run_vitest_with_summary() {
  local suite="$1"; shift
  local report=".cache/vitest-${suite}.json"
  mkdir -p .cache
  rm -f "$report"
  set +e
  vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@"
  local status=$?
  set -e
  if [ -f "$report" ]; then
    node -e 'const r = require(process.argv[1]); console.log(`${process.argv[2]}: ${r.numPassedTests} passed, ${r.numFailedTests} failed`)' "$PWD/$report" "$suite"
  fi
  return $status
}
