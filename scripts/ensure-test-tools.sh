#!/usr/bin/env bash
# Tools the tests use besides .NET: NumPy, to check that the .npy reader reads files NumPy itself wrote
# (Debian's python3-numpy; PyPI is not needed). Without apt-get it only warns: that test then reports itself skipped.
set -uo pipefail
if python3 -c "import numpy" >/dev/null 2>&1 || /usr/bin/python3 -c "import numpy" >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "warning: NumPy is not installed and this system has no apt-get; the test against NumPy-written .npy files will be skipped." >&2
  exit 0
fi
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "Installing NumPy for the tests (apt package python3-numpy) ..."
$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-numpy >/dev/null
