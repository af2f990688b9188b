#!/usr/bin/env bash
# Package check: packs GenSoftmax (runtime + generator), GenSoftmax.Data and GenSoftmax.Onnx into a temporary folder, creates a fresh console project
# with `dotnet new console`, adds the package from that folder, declares a model there, trains it with
# GenSoftmax.Trainer (and one step of its Sgd) on synthetic data and checks that it builds with warnings as errors
# and the SDK's recommended analyzers, runs (on linux-x64 from the package's ReadyToRun image), and reaches test
# accuracy >= 0.95; that publishing it native AOT without an instruction set warns GSM1001 (and with one does not, and
# the native program reaches 0.95 too); then that the same project built with C# 10 gets GSM0013;
# then, with GenSoftmax.Data added, that the README's usage example runs. Exits non-zero with a message on any failure.
#
#   bash tests/Package/run.sh            (KEEP=1 keeps the temporary folder for a look afterwards)
#
# The package gets a version of its own (0.0.0-pkgtest.<time>.<pid>), so restore can never take a stale
# GenSoftmax from the NuGet cache; that version's cache folder is removed again at the end.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/gensoftmax-package.XXXXXX")"
VERSION="0.0.0-pkgtest.$(date +%Y%m%d%H%M%S).$$"
FEED="$WORK/feed"
APP="$WORK/PackageSmoke"
START=$SECONDS

fail() {
  echo "tests/Package/run.sh: FAILED: $*" >&2
  echo "tests/Package/run.sh: files kept in $WORK" >&2
  KEEP=1
  exit 1
}

# Show the log of a failed step, then fail.
fail_with_log() {
  local log="$1"; shift
  echo "---- $log (last 60 lines)" >&2
  tail -n 60 "$log" >&2 || true
  fail "$*"
}

cleanup() {
  local cache
  cache="$(dotnet nuget locals global-packages --list 2>/dev/null | sed -n 's/^global-packages: *//p')"
  for id in gensoftmax gensoftmax.data gensoftmax.onnx; do
    if [ -n "$cache" ] && [ -d "$cache/$id/$VERSION" ]; then
      rm -rf "${cache%/}/$id/$VERSION"
      rmdir "${cache%/}/$id" 2>/dev/null || true
    fi
  done
  if [ "${KEEP:-0}" != "1" ]; then
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

list_zip() {
  if command -v unzip >/dev/null 2>&1; then unzip -Z1 "$1"; else python3 -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$1"; fi
}

read_zip() {
  if command -v unzip >/dev/null 2>&1; then unzip -p "$1" "$2"; else python3 -c 'import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode())' "$1" "$2"; fi
}

# Prints "readytorun" or "il" for an assembly inside a package: whether its CLI header names a ManagedNativeHeader (the
# ReadyToRun header crossgen2 writes), read from the PE file's data directories and sections.
assembly_kind() {
  python3 - "$1" "$2" <<'PY'
import struct, sys, zipfile
data = zipfile.ZipFile(sys.argv[1]).read(sys.argv[2])
pe = struct.unpack_from('<I', data, 0x3C)[0]
sections, optional_size = struct.unpack_from('<H12xH', data, pe + 6)
optional = pe + 24
directories = optional + (96 if struct.unpack_from('<H', data, optional)[0] == 0x10B else 112)
cli_rva = struct.unpack_from('<I', data, directories + 14 * 8)[0]
for s in range(sections):
    entry = optional + optional_size + 40 * s
    size, rva, _, raw = struct.unpack_from('<IIII', data, entry + 8)
    if rva <= cli_rva < rva + size:
        native_header_size = struct.unpack_from('<I', data, raw + cli_rva - rva + 68)[0]
        print('readytorun' if native_header_size else 'il')
        break
else:
    print('no CLI header')
PY
}

echo "== pack GenSoftmax $VERSION into $FEED"
dotnet pack "$ROOT/src/Runtime/GenSoftmax.csproj" -c Release -o "$FEED" -p:PackageVersion="$VERSION" --nologo \
  >"$WORK/pack.log" 2>&1 || fail_with_log "$WORK/pack.log" "dotnet pack src/Runtime failed"
NUPKG="$FEED/GenSoftmax.$VERSION.nupkg"
[ -f "$NUPKG" ] || fail "dotnet pack did not write $NUPKG"

# One package gives both: the runtime library, and the generator as an analyzer (never as a lib reference).
CONTENTS="$(list_zip "$NUPKG")"
for entry in lib/net10.0/GenSoftmax.dll runtimes/linux-x64/lib/net10.0/GenSoftmax.dll analyzers/dotnet/cs/GenSoftmax.Generator.dll \
  lib/net10.0/GenSoftmax.Avx512.dll runtimes/linux-x64/lib/net10.0/GenSoftmax.Avx512.dll \
  lib/net10.0/GenSoftmax.Avx2.dll runtimes/linux-x64/lib/net10.0/GenSoftmax.Avx2.dll \
  build/GenSoftmax.targets buildTransitive/GenSoftmax.targets; do
  grep -qx "$entry" <<<"$CONTENTS" || fail "the package has no $entry; it holds: $(tr '\n' ' ' <<<"$CONTENTS")"
done
[ "$(assembly_kind "$NUPKG" lib/net10.0/GenSoftmax.dll)" = il ] || fail "lib/net10.0/GenSoftmax.dll is not the IL build"
[ "$(assembly_kind "$NUPKG" runtimes/linux-x64/lib/net10.0/GenSoftmax.dll)" = readytorun ] \
  || fail "runtimes/linux-x64/lib/net10.0/GenSoftmax.dll has no ReadyToRun code"
# The AVX-512 and AVX2 run-time kernels: assemblies inside this package, their images compiled for their instruction
# sets (src/KernelImages), and no package dependencies.
for variant in Avx512 Avx2; do
  [ "$(assembly_kind "$NUPKG" lib/net10.0/GenSoftmax.$variant.dll)" = il ] || fail "lib/net10.0/GenSoftmax.$variant.dll is not the IL build"
  [ "$(assembly_kind "$NUPKG" runtimes/linux-x64/lib/net10.0/GenSoftmax.$variant.dll)" = readytorun ] \
    || fail "runtimes/linux-x64/lib/net10.0/GenSoftmax.$variant.dll has no ReadyToRun code"
done
if grep -q '^lib/.*GenSoftmax\.Generator\.dll$' <<<"$CONTENTS"; then
  fail "the generator is packed under lib/, so consumers would reference it as a library"
fi
NUSPEC="$(read_zip "$NUPKG" GenSoftmax.nuspec)"
grep -q 'dependency id="System.Numerics.Tensors"' <<<"$NUSPEC" || fail "the package does not depend on System.Numerics.Tensors"
grep -q '<readme>README.md</readme>' <<<"$NUSPEC" || fail "the package names no readme"
grep -qx "README.md" <<<"$CONTENTS" || fail "the package does not carry README.md"
if grep -qi 'dependency id="GenSoftmax.Generator"' <<<"$NUSPEC"; then
  fail "the package depends on GenSoftmax.Generator, which is not a package"
fi
if grep -qi 'dependency id="GenSoftmax.Avx' <<<"$NUSPEC"; then
  fail "the package depends on a kernel assembly (GenSoftmax.Avx512, GenSoftmax.Avx2), which it carries inside"
fi
if grep -qi 'dependency id="Sep"' <<<"$NUSPEC"; then
  fail "the runtime package depends on Sep; CSV reading belongs to GenSoftmax.Data"
fi
echo "   ok: lib/net10.0/GenSoftmax.dll, its ReadyToRun image for linux-x64, analyzers/dotnet/cs/GenSoftmax.Generator.dll,"
echo "       GenSoftmax.Avx512.dll, GenSoftmax.Avx2.dll and their images; depends on System.Numerics.Tensors, not on Sep"

# The two other packages: each its library, depending on GenSoftmax of the same version (Data: and on Sep).
for id in Data Onnx; do
  echo "== pack GenSoftmax.$id $VERSION into $FEED"
  dotnet pack "$ROOT/src/$id/GenSoftmax.$id.csproj" -c Release -o "$FEED" -p:PackageVersion="$VERSION" --nologo \
    >"$WORK/pack-$id.log" 2>&1 || fail_with_log "$WORK/pack-$id.log" "dotnet pack src/$id failed"
  PACKAGE="$FEED/GenSoftmax.$id.$VERSION.nupkg"
  [ -f "$PACKAGE" ] || fail "dotnet pack did not write $PACKAGE"
  for entry in lib/net10.0/GenSoftmax.$id.dll runtimes/linux-x64/lib/net10.0/GenSoftmax.$id.dll; do
    grep -qx "$entry" <<<"$(list_zip "$PACKAGE")" || fail "GenSoftmax.$id has no $entry"
  done
  [ "$(assembly_kind "$PACKAGE" lib/net10.0/GenSoftmax.$id.dll)" = il ] || fail "GenSoftmax.$id's lib/ assembly is not the IL build"
  [ "$(assembly_kind "$PACKAGE" runtimes/linux-x64/lib/net10.0/GenSoftmax.$id.dll)" = readytorun ] \
    || fail "GenSoftmax.$id's linux-x64 assembly has no ReadyToRun code"
  SPEC="$(read_zip "$PACKAGE" "GenSoftmax.$id.nuspec")"
  grep -q "dependency id=\"GenSoftmax\" version=\"$VERSION\"" <<<"$SPEC" || fail "GenSoftmax.$id does not depend on GenSoftmax $VERSION"
  if [ "$id" = Data ]; then
    grep -q 'dependency id="Sep"' <<<"$SPEC" || fail "GenSoftmax.Data does not depend on Sep"
  fi
  echo "   ok: lib/net10.0/GenSoftmax.$id.dll and its ReadyToRun image for linux-x64, depends on GenSoftmax $VERSION"
done

echo "== dotnet new console in $APP"
dotnet new console -o "$APP" -n PackageSmoke --framework net10.0 --no-restore >"$WORK/new.log" 2>&1 \
  || fail_with_log "$WORK/new.log" "dotnet new console failed"

# The local folder for GenSoftmax only, nuget.org (the registry the machine's own NuGet.Config uses) for the rest.
cat >"$APP/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$FEED" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
  </packageSources>
  <packageSourceMapping>
    <packageSource key="local">
      <package pattern="GenSoftmax" />
      <package pattern="GenSoftmax.*" />
    </packageSource>
    <packageSource key="nuget.org">
      <package pattern="*" />
    </packageSource>
  </packageSourceMapping>
</configuration>
XML

# What a careful consumer turns on: every warning an error, the SDK's recommended analyzers, and the generated
# sources written to obj/ so the script can see the generator ran.
cat >"$APP/Directory.Build.props" <<'XML'
<Project>
  <PropertyGroup>
    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
    <AnalysisLevel>latest-recommended</AnalysisLevel>
    <EmitCompilerGeneratedFiles>true</EmitCompilerGeneratedFiles>
  </PropertyGroup>
</Project>
XML

cat >"$APP/Program.cs" <<'CS'
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Reflection.PortableExecutable;
using GenSoftmax;
using GenSoftmax.Training;

namespace PackageSmoke
{
    /// <summary>Three classes in 8 dimensions: the generator emits its kernels from this one line.</summary>
    [SoftmaxModel(Inputs = 8, Classes = 3)]
    public sealed partial class Blobs;

    internal static class Program
    {
        // Gaussian clusters (standard deviation 1) around centres 4 apart: linearly separable but for a few points.
        private static LabeledData Clusters(Random random, int count)
        {
            var x = new float[count * Blobs.InputCount];
            var y = new int[count];
            for (int i = 0; i < count; i++)
            {
                y[i] = i % Blobs.ClassCount;
                for (int k = 0; k < Blobs.InputCount; k++)
                {
                    double centre = k % Blobs.ClassCount == y[i] ? 2.0 : -2.0;
                    double noise = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
                    x[(i * Blobs.InputCount) + k] = (float)(centre + noise);
                }
            }

            return LabeledData.FromFeatures(x, y, Blobs.InputCount);
        }

        private static int Main()
        {
            var random = new Random(2024);
            LabeledData train = Clusters(random, 3000);
            LabeledData test = Clusters(random, 1000);
            var model = new Blobs();
            Console.WriteLine("isa=" + model.Isa.ToString());

            // Which copy of the runtime the host resolved, and whether it carries precompiled (ReadyToRun) code (a
            // native AOT program has no such list).
            string[] resolved = (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string ?? "").Split(Path.PathSeparator);
            string? runtime = Array.Find(resolved, path => Path.GetFileName(path) == "GenSoftmax.dll");
            if (runtime is not null)
            {
                using var image = new PEReader(File.OpenRead(runtime));
                Console.WriteLine("runtime=" + runtime);
                Console.WriteLine("readytorun=" + (image.PEHeaders.CorHeader?.ManagedNativeHeaderDirectory.Size > 0 ? "yes" : "no"));
            }

            var options = new TrainerOptions { Solver = TrainingSolver.Sgd, Epochs = 10, BatchSize = 32, Optimizer = new SgdOptions { LearningRate = 0.5f } };
            var trainer = new Trainer(model, options);
            trainer.Initialize();
            IReadOnlyList<EpochReport> reports = trainer.Fit(train, test);
            EpochReport last = reports[^1];

            // The model's own Predict over the whole test set agrees with the trainer's validation accuracy.
            var predictions = new int[test.Count];
            model.Predict(Batch.Of(test.Features), predictions);
            int correct = 0;
            for (int i = 0; i < test.Count; i++)
            {
                correct += predictions[i] == test.Labels[i] ? 1 : 0;
            }

            double accuracy = (double)correct / test.Count;
            if (Math.Abs(accuracy - last.ValidationAccuracy) > 1e-9)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Predict gives {accuracy:F4}, the trainer {last.ValidationAccuracy:F4}"));
                return 1;
            }

            // One more SGD step on a hand-picked batch, through the optimizer the trainer uses.
            BatchResult step = new Sgd(model, options.Optimizer).Step(test.Rows([0, 1, 2, 3]));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"epochs={reports.Count} train_loss={last.TrainLoss:F4} step_loss={step.Loss:F4}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"accuracy={last.ValidationAccuracy:F4}"));

            // A model whose shape is known only at run time, trained the same way: the package's own kernels.
            var shaped = new RuntimeSoftmaxModel(Blobs.InputCount, Blobs.ClassCount);
            var shapedTrainer = new Trainer(shaped, options);
            shapedTrainer.Initialize();
            EpochReport shapedLast = shapedTrainer.Fit(train, test)[^1];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"runtime_shaped_accuracy={shapedLast.ValidationAccuracy:F4}"));
            return 0;
        }
    }
}
CS

echo "== dotnet add package GenSoftmax $VERSION"
dotnet add "$APP/PackageSmoke.csproj" package GenSoftmax --version "$VERSION" >"$WORK/add.log" 2>&1 \
  || fail_with_log "$WORK/add.log" "dotnet add package GenSoftmax $VERSION failed (restore from $FEED and nuget.org)"

echo "== build (TreatWarningsAsErrors, AnalysisLevel latest-recommended)"
dotnet build "$APP/PackageSmoke.csproj" -c Release --nologo >"$WORK/build.log" 2>&1 \
  || fail_with_log "$WORK/build.log" "the console project does not build against the package"
GENERATED="$APP/obj/Release/net10.0/generated/GenSoftmax.Generator/GenSoftmax.Generator.SoftmaxGenerator/PackageSmoke.Blobs.g.cs"
[ -f "$GENERATED" ] || fail "the generator from the package did not run: no $GENERATED"
grep -q "\"GenSoftmax.Generator/" "$APP/obj/project.assets.json" && fail "GenSoftmax.Generator was restored as a package of its own"
grep -q "\"GenSoftmax/$VERSION\"" "$APP/obj/project.assets.json" || fail "restore did not resolve GenSoftmax $VERSION"
echo "   ok: built, $(wc -l <"$GENERATED") generated lines in PackageSmoke.Blobs.g.cs"

echo "== run"
set +e
OUTPUT="$(dotnet "$APP/bin/Release/net10.0/PackageSmoke.dll" 2>&1)"
STATUS=$?
set -e
echo "$OUTPUT" | sed 's/^/   /'
[ "$STATUS" -eq 0 ] || fail "the program exited with $STATUS"
ACCURACY="$(sed -n 's/^accuracy=\([0-9.]*\)$/\1/p' <<<"$OUTPUT")"
[ -n "$ACCURACY" ] || fail "the program printed no accuracy= line"
awk -v a="$ACCURACY" 'BEGIN { exit !(a >= 0.95) }' || fail "test accuracy $ACCURACY is below 0.95"
SHAPED_ACCURACY="$(sed -n 's/^runtime_shaped_accuracy=\([0-9.]*\)$/\1/p' <<<"$OUTPUT")"
awk -v a="${SHAPED_ACCURACY:-0}" 'BEGIN { exit !(a >= 0.95) }' \
  || fail "the run-time-shaped model's test accuracy ${SHAPED_ACCURACY:-(none printed)} is below 0.95"
# On linux-x64 the host loads the package's ReadyToRun image (runtimes/linux-x64/lib), not the IL under lib/.
if [ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ]; then
  grep -q "^runtime=.*/runtimes/linux-x64/lib/net10.0/GenSoftmax.dll$" <<<"$OUTPUT" \
    || fail "the program did not load the package's linux-x64 image: $(grep '^runtime=' <<<"$OUTPUT")"
  grep -qx "readytorun=yes" <<<"$OUTPUT" || fail "the runtime the program loaded has no ReadyToRun code"
  echo "   ok: the host loaded the package's ReadyToRun image for linux-x64"
  # The image holds the engine's drivers (instantiated over byte and float, which crossgen2 compiles only with
  # --opt-cross-module:System.Private.CoreLib): the JIT's own list of what it compiled names the model's kernels, never
  # a first compile of a driver (a later Tier1 recompile of hot precompiled code is allowed).
  DOTNET_JitStdOutFile="$WORK/jit-summary.txt" DOTNET_JitDisasmSummary=1 dotnet "$APP/bin/Release/net10.0/PackageSmoke.dll" \
    >"$WORK/jit-run.log" 2>&1 || fail_with_log "$WORK/jit-run.log" "the program failed with the JIT's summary on"
  grep -q "JIT compiled .*Blobs.*LossRows" "$WORK/jit-summary.txt" \
    || fail_with_log "$WORK/jit-summary.txt" "the JIT's summary does not list the generated kernels (is DOTNET_JitDisasmSummary read?)"
  if grep -E "JIT compiled GenSoftmax\.Kernels\.(BatchLoss:Run|BatchForward:Predict).*\[(Tier0|Tier-0|FullOpts|Instrumented Tier0)" \
    "$WORK/jit-summary.txt"; then
    fail "the JIT compiled the engine's drivers (BatchLoss.Run, BatchForward.Predict) at their first call: the image does not hold them"
  fi
  echo "   ok: the engine's drivers ran from the image (the JIT compiled the model's kernels, not BatchLoss.Run or BatchForward.Predict)"
  # The run-time-shaped model's AVX-512 or AVX2 kernels run from their assembly's image: the JIT compiles none.
  VARIANT="$(sed -n 's/^isa=\(Avx512\|Avx2\)$/\1/p' <<<"$OUTPUT")"
  if [ -n "$VARIANT" ]; then
    if grep -E "JIT compiled GenSoftmax\.Dynamic\.RuntimeKernels\`2\[GenSoftmax\.Dynamic\.${VARIANT}Ops" "$WORK/jit-summary.txt"; then
      fail "the JIT compiled $VARIANT run-time kernels: GenSoftmax.$VARIANT's image was not used"
    fi
    echo "   ok: the run-time-shaped model's $VARIANT kernels ran from GenSoftmax.$VARIANT's image (the JIT compiled none)"
  fi
  # The AVX2 kernels too, where the CPU has AVX-512 (the runtime told not to use it).
  if [ "$VARIANT" = Avx512 ]; then
    DOTNET_EnableAVX512=0 DOTNET_JitStdOutFile="$WORK/jit-summary-avx2.txt" DOTNET_JitDisasmSummary=1 \
      dotnet "$APP/bin/Release/net10.0/PackageSmoke.dll" >"$WORK/jit-run-avx2.log" 2>&1 \
      || fail_with_log "$WORK/jit-run-avx2.log" "the program failed with DOTNET_EnableAVX512=0"
    grep -q "^isa=Avx2$" "$WORK/jit-run-avx2.log" || fail_with_log "$WORK/jit-run-avx2.log" "DOTNET_EnableAVX512=0 did not give Avx2"
    if grep -E "JIT compiled GenSoftmax\.Dynamic\.RuntimeKernels\`2\[GenSoftmax\.Dynamic\.Avx2Ops" "$WORK/jit-summary-avx2.txt"; then
      fail "the JIT compiled AVX2 run-time kernels: GenSoftmax.Avx2's image was not used"
    fi
    echo "   ok: with DOTNET_EnableAVX512=0 the Avx2 kernels ran from GenSoftmax.Avx2's image (the JIT compiled none)"
  fi
  # Built for linux-x64 itself, the program gets the image beside it.
  dotnet build "$APP/PackageSmoke.csproj" -c Release -r linux-x64 --nologo >"$WORK/build-rid.log" 2>&1 \
    || fail_with_log "$WORK/build-rid.log" "the console project does not build for linux-x64"
  RID_OUTPUT="$(dotnet "$APP/bin/Release/net10.0/linux-x64/PackageSmoke.dll" 2>&1)" || fail "the linux-x64 build failed: $RID_OUTPUT"
  grep -qx "runtime=$APP/bin/Release/net10.0/linux-x64/GenSoftmax.dll" <<<"$RID_OUTPUT" \
    || fail "the linux-x64 build did not load the runtime beside it: $(grep '^runtime=' <<<"$RID_OUTPUT")"
  grep -qx "readytorun=yes" <<<"$RID_OUTPUT" || fail "the linux-x64 build's runtime has no ReadyToRun code"
  grep -qx "accuracy=$ACCURACY" <<<"$RID_OUTPUT" || fail "the linux-x64 build's accuracy differs: $RID_OUTPUT"
  echo "   ok: built for linux-x64, the program runs the image beside it, to the same accuracy"
fi

echo "== publish native AOT without an instruction set: the package warns GSM1001, naming IlcInstructionSet; then with one"
# Up to PrepareForPublish, where the package's check runs (the native compile after it is not needed to see it).
# The project's TreatWarningsAsErrors turns the warning into an error, so the first run fails; either way it is named.
AOT_ARGS=(-restore -t:PrepareForPublish -p:Configuration=Release -p:PublishAot=true -p:RuntimeIdentifier=linux-x64 -nologo)
dotnet msbuild "$APP/PackageSmoke.csproj" "${AOT_ARGS[@]}" >"$WORK/aot.log" 2>&1 || true
grep -q "GSM1001: This project publishes native AOT without an instruction set" "$WORK/aot.log" \
  || fail_with_log "$WORK/aot.log" "publishing native AOT without IlcInstructionSet gave no GSM1001"
grep -q "Set <IlcInstructionSet> in the project: x86-64-v3" "$WORK/aot.log" \
  || fail_with_log "$WORK/aot.log" "GSM1001 does not name the IlcInstructionSet setting"
# With one, the whole publish: the native compiler reads the package's linux-x64 image (ReadyToRun code beside its IL).
dotnet publish "$APP/PackageSmoke.csproj" -c Release -r linux-x64 -p:PublishAot=true -p:IlcInstructionSet=x86-64-v3 \
  -o "$WORK/aot" --nologo >"$WORK/aot-v3.log" 2>&1 \
  || fail_with_log "$WORK/aot-v3.log" "publishing native AOT with IlcInstructionSet=x86-64-v3 failed"
grep -q "GSM1001" "$WORK/aot-v3.log" && fail_with_log "$WORK/aot-v3.log" "GSM1001 with IlcInstructionSet set"
ILC_INPUTS="$(cat "$APP"/obj/Release/net10.0/linux-x64/native/*.rsp 2>/dev/null || true)"
grep -q "runtimes/linux-x64/lib/net10.0/GenSoftmax.dll" <<<"$ILC_INPUTS" \
  || fail "the native compiler's inputs do not name the package's linux-x64 image"
if grep -qw avx2 /proc/cpuinfo 2>/dev/null; then
  set +e
  AOT_OUTPUT="$("$WORK/aot/PackageSmoke" 2>&1)"
  STATUS=$?
  set -e
  [ "$STATUS" -eq 0 ] || fail "the native AOT program exited with $STATUS: $AOT_OUTPUT"
  # (AVX2 kernels there, AVX-512 ones under the JIT on such a machine: the same bound, not the same digits.)
  AOT_ACCURACY="$(sed -n 's/^accuracy=\([0-9.]*\)$/\1/p' <<<"$AOT_OUTPUT")"
  [ -n "$AOT_ACCURACY" ] || fail "the native AOT program printed no accuracy= line: $AOT_OUTPUT"
  awk -v a="$AOT_ACCURACY" 'BEGIN { exit !(a >= 0.95) }' || fail "the native AOT program's test accuracy $AOT_ACCURACY is below 0.95"
  echo "   ok: GSM1001 without an instruction set, none with x86-64-v3, whose native program reaches $AOT_ACCURACY"
else
  echo "   ok: GSM1001 without an instruction set, none with x86-64-v3 (this CPU has no AVX2 to run that program)"
fi

echo "== build with <LangVersion>10</LangVersion>: the generator asks for C# 11 (GSM0013)"
if dotnet build "$APP/PackageSmoke.csproj" -c Release --nologo -p:LangVersion=10 >"$WORK/build10.log" 2>&1; then
  fail "the console project built with C# 10, which the generated kernels do not support"
fi
grep -q "error GSM0013: 'Blobs' needs C# 11 or newer" "$WORK/build10.log" \
  || fail_with_log "$WORK/build10.log" "the C# 10 build failed without GSM0013"
echo "   ok: error GSM0013 on Blobs"

echo "== the README's usage example, exactly as written, as a default console app's Program.cs (with GenSoftmax.Data)"
# It reads Fashion-MNIST, so it needs the data package beside the runtime.
dotnet add "$APP/PackageSmoke.csproj" package GenSoftmax.Data --version "$VERSION" >"$WORK/add-data.log" 2>&1 \
  || fail_with_log "$WORK/add-data.log" "dotnet add package GenSoftmax.Data $VERSION failed"
# The first C# block of the README's "Using it" section becomes the whole program; it trains the textbook recipe on
# Fashion-MNIST (installed by test.sh), prints one line per epoch and saves fashion.gsm in the project directory.
awk '/^## Using it/ { section = 1 } section && /^```csharp/ { inside = 1; next } inside && /^```/ { exit } inside { print }' \
  "$ROOT/README.md" >"$APP/Program.cs"
[ -s "$APP/Program.cs" ] || fail "README.md has no C# example under '## Using it'"
# The analyzer settings of a project made by `dotnet new console`, not the strict ones above (they would ask a
# README example for culture-explicit formatting); a compiler warning would still show in the log.
dotnet build "$APP/PackageSmoke.csproj" -c Release --nologo -p:TreatWarningsAsErrors=false -p:AnalysisLevel=latest \
  >"$WORK/readme-build.log" 2>&1 || fail_with_log "$WORK/readme-build.log" "the README's usage example does not compile against the package"
grep -q " warning CS" "$WORK/readme-build.log" && fail_with_log "$WORK/readme-build.log" "the README's usage example compiles with warnings"
set +e
README_OUTPUT="$(cd "$APP" && dotnet "$APP/bin/Release/net10.0/PackageSmoke.dll" 2>&1)"
STATUS=$?
set -e
echo "$README_OUTPUT" | tail -2 | sed 's/^/   /'
[ "$STATUS" -eq 0 ] || fail "the README's usage example exited with $STATUS: $README_OUTPUT"
LAST="$(sed -n 's/^epoch 10: .*test accuracy \([0-9.]*\)$/\1/p' <<<"$README_OUTPUT")"
[ -n "$LAST" ] || fail "the README's usage example printed no 'epoch 10' line"
awk -v a="$LAST" 'BEGIN { exit !(a >= 0.80) }' || fail "the README's usage example reached only $LAST test accuracy"
[ -s "$APP/fashion.gsm" ] || fail "the README's usage example did not save fashion.gsm"
echo "   ok: compiles, trains to $LAST test accuracy, saves fashion.gsm"

echo "tests/Package/run.sh: passed (accuracy $ACCURACY, GenSoftmax $VERSION, $((SECONDS - START)) s)"
