#!/usr/bin/env bash
# Runs every test: the xunit projects (kernels, generator, trainer, data, and the demo end to end on the real
# Fashion-MNIST, installed here if missing), then the checks that run whole programs. Results go to TestResults/.
set -uo pipefail
cd "$(dirname "$0")"
bash scripts/ensure-data.sh || exit 1
bash scripts/ensure-test-tools.sh
rm -rf TestResults
mkdir -p TestResults
dotnet test GenSoftmax.sln -c Release --nologo --logger "trx" --results-directory TestResults
status=$?
# Checks that run whole programs record one line each, "passed NAME" or "failed NAME", for .ci/run to count.
run_check() {
  local name="$1"; shift
  echo "== $name: $*"
  if "$@"; then echo "passed $name" >> TestResults/checks.txt; else echo "failed $name" >> TestResults/checks.txt; status=1; fi
}
for check in scripts/checks.d/*.sh; do
  [ -e "$check" ] || continue
  run_check "$(basename "$check" .sh)" bash "$check"
done
exit $status
