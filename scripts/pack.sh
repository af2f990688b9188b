#!/usr/bin/env bash
# Packs GenSoftmax, GenSoftmax.Data and GenSoftmax.Onnx into one folder with one fresh version, 0.1.0-dev.<UTC time>,
# so a project that consumes them picks up every re-pack (the NuGet cache keeps the first copy of a version it sees).
#   bash scripts/pack.sh [FOLDER]     (default: ./packages)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$(mkdir -p "${1:-$root/packages}" && cd "${1:-$root/packages}" && pwd)"
version="0.1.0-dev.$(date -u +%Y%m%d%H%M%S)"
for project in Runtime/GenSoftmax Data/GenSoftmax.Data Onnx/GenSoftmax.Onnx; do
  echo "packing $(basename "$project") $version"
  dotnet pack "$root/src/$project.csproj" -c Release -o "$out" -p:PackageVersion="$version" --nologo -v quiet
done
echo "packed into $out:"
ls -1 "$out" | grep -F "$version"
echo "in your project: dotnet add package GenSoftmax --version $version (with a nuget.config naming $out; docs/package.md)"
