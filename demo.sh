#!/usr/bin/env bash
# Installs the data if needed, publishes the demo with native AOT for this machine's instruction set, and trains
# the textbook recipe. Extra arguments go to the demo: bash demo.sh --epochs 5 --threads 1 --report run.json
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/ensure-data.sh
dotnet publish src/Demo/GenSoftmax.Demo.csproj -c Release -o artifacts/demo --nologo -v quiet
exec artifacts/demo/gensoftmax-demo "$@"
