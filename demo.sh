#!/usr/bin/env bash
# Installs the data if needed, publishes the app with native AOT for this machine's instruction set (native), and
# runs it: with no arguments it trains the fast recipe (--recipe textbook for the textbook's). Other commands:
#   bash demo.sh train --epochs 5 --save model.gsm --plot curves.svg
#   bash demo.sh eval model.gsm;  bash demo.sh predict model.gsm --wrong;  bash demo.sh info model.gsm
#   bash demo.sh show --out samples.png
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/ensure-data.sh
dotnet publish src/Demo/GenSoftmax.Demo.csproj -c Release -o artifacts/app --nologo -v quiet
exec artifacts/app/gensoftmax-cli "$@"
