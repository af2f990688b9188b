#!/usr/bin/env bash
# Installs the data if needed, publishes the app with native AOT for this machine's instruction set (native), and
# runs it: with no arguments it trains the fast recipe (--recipe textbook for the textbook's). Other commands:
#   bash demo.sh train --epochs 5 --save model.gsm --plot curves.svg
#   bash demo.sh eval model.gsm;  bash demo.sh predict model.gsm --wrong;  bash demo.sh info model.gsm
#   bash demo.sh show --out samples.png
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/ensure-data.sh
# Decompress the data once, into artifacts/fashion-mnist: inflating the 47 MB of images is most of a run's load time
# (docs/performance.md). gunzip checks each file's CRC-32 and length; the app still checks the IDX headers.
if [ -z "${GENSOFTMAX_FASHION_MNIST:-}" ]; then
  src=/usr/share/datasets/fashion-mnist raw=artifacts/fashion-mnist ok=1
  mkdir -p "$raw"
  for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
    if [ -f "$src/$f.gz" ]; then
      if [ ! -f "$raw/$f" ] || [ "$src/$f.gz" -nt "$raw/$f" ]; then
        gunzip -c "$src/$f.gz" > "$raw/.$f.$$" && mv -f "$raw/.$f.$$" "$raw/$f" || { rm -f "$raw/.$f.$$"; ok=0; }
      fi
    else
      ok=0
    fi
  done
  if [ "$ok" = 1 ]; then export GENSOFTMAX_FASHION_MNIST="$PWD/$raw"; fi
fi
# Publish only when a source the app is built from is newer than the binary (a publish of unchanged code still costs
# seconds); the first one compiles everything with native AOT and takes a minute or so.
app=artifacts/app/gensoftmax-cli
if [ ! -x "$app" ] || [ -n "$(find src Directory.Build.props global.json -newer "$app" -type f \
      \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.targets' -o -name '*.json' \) \
      -not -path '*/bin/*' -not -path '*/obj/*' -print -quit 2>/dev/null)" ]; then
  if [ -x "$app" ]; then echo "demo.sh: sources changed, publishing gensoftmax-cli again (native AOT) ..." >&2
  else echo "demo.sh: publishing gensoftmax-cli with native AOT for this machine (first run: about a minute) ..." >&2; fi
  dotnet publish src/Demo/GenSoftmax.Demo.csproj -c Release -o artifacts/app --nologo -v quiet
  touch "$app"
fi
# Not exec: the app times its own start from its process start, which exec would move back to this script's.
"$app" "$@"
