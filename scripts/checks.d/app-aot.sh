#!/usr/bin/env bash
# The app as it ships: publish it with native AOT for this machine (IlcInstructionSet=native), fail on any trim or AOT
# warning, then run `info` and a short `train` from the native binary and check that it runs the best kernel variant
# this CPU has (AVX-512 where present, else AVX2), not the portable fallback of a baseline x86-64 binary.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
bash scripts/ensure-data.sh >/dev/null

# ILC runs afresh (its own intermediate directory), so every trim and AOT warning it can give is given; the project's
# TreatWarningsAsErrors turns them into errors, and the log is searched for any that were not.
if ! dotnet publish src/Demo/GenSoftmax.Demo.csproj -c Release -o "$out/app" --nologo \
     -p:NativeIntermediateOutputPath="$out/ilc/" >"$out/publish.log" 2>&1; then
  cat "$out/publish.log"; echo "app-aot: publish failed"; exit 1
fi
if grep -E "warning (IL|CS|NU|MSB)[0-9]+" "$out/publish.log"; then
  echo "app-aot: the native publish gave warnings (above)"; exit 1
fi
bin="$out/app/gensoftmax-cli"
[ -x "$bin" ] || { echo "app-aot: no native binary at $bin"; exit 1; }

if grep -qw avx512f /proc/cpuinfo; then want=Avx512
elif grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then want=Avx2
else want=Portable; fi

info=$(env -u GENSOFTMAX_ISA "$bin" info)
echo "$info"
grep -q "native AOT binary" <<<"$info" || { echo "app-aot: info does not report a native binary"; exit 1; }
grep -q "Kernels used: $want " <<<"$info" || { echo "app-aot: expected the $want kernels on this CPU"; exit 1; }
grep -q "This binary uses the best kernels this CPU has." <<<"$info" || { echo "app-aot: the binary cannot use this CPU's best variant"; exit 1; }

train=$(env -u GENSOFTMAX_ISA "$bin" train --epochs 1 --threads 1 --report "$out/run.json" --save "$out/m.gsm")
echo "$train"
grep -q "kernels: $want " <<<"$train" || { echo "app-aot: train did not run the $want kernels"; exit 1; }
grep -q "\"isa\": \"$want\"" "$out/run.json" || { echo "app-aot: the report names another variant"; exit 1; }
acc=$(sed -n 's/.*test accuracy \([0-9.]*\).*/\1/p' <<<"$train")
awk -v a="$acc" 'BEGIN { exit !(a > 0.70) }' || { echo "app-aot: one epoch reached test accuracy $acc, below 0.70"; exit 1; }
"$bin" eval "$out/m.gsm" | grep -q "Accuracy $acc " || { echo "app-aot: eval of the saved model does not report $acc"; exit 1; }
echo "app-aot: native binary $(du -h "$bin" | cut -f1) ran the $want kernels; test accuracy after 1 epoch $acc"
