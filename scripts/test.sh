#!/usr/bin/env bash
# The test command of the README: installs the test-time tools from their lock
# files, then runs every Go test.
#   - test/iamsim: the independent IAM evaluator (@cloud-copilot/iam-simulate,
#     AGPL-3.0, test-time only, never in the binary) for the differential test
#     of the policy engine. Without node/npm that test skips, saying so (and
#     fails under CI=true).
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v npm >/dev/null; then
	if ! (cd test/iamsim && npm ci --no-audit --no-fund --loglevel=error); then
		echo "scripts/test.sh: npm ci in test/iamsim failed; the differential policy test will not run" >&2
		[ "${CI:-}" = true ] && exit 1
	fi
fi
# -timeout: the default 10 minutes per test binary is too tight for cmd/seiri
# on a loaded 2-core machine; an explicit -timeout in "$@" wins.
go test -timeout 40m "$@" ./...
