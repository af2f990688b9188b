#!/usr/bin/env bash
# Issue 23's figures: training and conversion from files larger than memory, at the disk's speed, in bounded memory.
#
#   bench/streaming/run.sh [DATA_DIR]        (as root, on an otherwise idle machine; see README.md for the order of the steps:
#                                             all of them at once need about 80 GB free on DATA_DIR's disk)
#
# Steps (STEPS="generate disk epoch warm csv" by default; each may be run alone):
#   generate  the synthetic linear-probe set: ROWS x DIMS float32 (8,000,000 x 1024 = 32.8 GB) from a known linear model
#             with NOISE label noise over CLASSES classes, plus TEST_ROWS test rows (gensoftmax-streambench generate)
#   disk      the disk's own sequential read of the features file, cold cache: a plain read loop (readspeed.py, 16 MiB reads)
#   epoch     one epoch of SGD streamed from the same file, cold cache, under --memory-budget BUDGET, with /usr/bin/time -v;
#             the app prints its MB/s, its peak resident memory (VmHWM from /proc/self/status) and the test accuracy
#   warm      a set that fits in memory (WARM_ROWS rows), warm page cache: an epoch in memory against an epoch streamed
#   csv       a CSV of CSV_ROWS rows (about 30 GB of text at 1024 features) converted by 'gensoftmax-cli convert', cold cache
#   shuffle   how close the block shuffle comes to a full one: Fashion-MNIST (FMNIST, decompressed into DATA_DIR) with the
#             fast recipe, in memory and streamed under SHUFFLE_BUDGET (4MB: about 24 buffers of 5 blocks an epoch), test accuracy for seeds 1-5
#             (not in the default STEPS: it is an accuracy comparison, about 10 minutes)
# Everything is logged under RESULTS (default bench/results/<date>-streaming/); the summary is summary.txt there.
# SMOKE=1 runs every step on a tiny set without dropping caches (a check that the script works, not a measurement).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
data="${1:-/var/tmp/gensoftmax-stream}"
ROWS="${ROWS:-8000000}"; DIMS="${DIMS:-1024}"; CLASSES="${CLASSES:-100}"; NOISE="${NOISE:-0.1}"; TEST_ROWS="${TEST_ROWS:-100000}"
WARM_ROWS="${WARM_ROWS:-500000}"; CSV_ROWS="${CSV_ROWS:-4000000}"
FMNIST="${FMNIST:-${GENSOFTMAX_FASHION_MNIST:-/usr/share/datasets/fashion-mnist}}"; SHUFFLE_BUDGET="${SHUFFLE_BUDGET:-4MB}"; SEEDS="${SEEDS:-1 2 3 4 5}"
BUDGET="${BUDGET:-256MB}"; THREADS="${THREADS:-2}"; BATCH="${BATCH:-1024}"; LR="${LR:-0.02}"
STEPS="${STEPS:-generate disk epoch warm csv}"
RESULTS="${RESULTS:-$root/bench/results/$(date +%F)-streaming}"
if [ "${SMOKE:-0}" = 1 ]; then
  ROWS=20000; DIMS=64; CLASSES=10; TEST_ROWS=2000; WARM_ROWS=5000; CSV_ROWS=3000; BUDGET=1MB; DROP_CACHES=0; SEEDS="1"
fi
DROP_CACHES="${DROP_CACHES:-1}"
mkdir -p "$data" "$RESULTS"
summary="$RESULTS/summary.txt"

say() { echo "$*" | tee -a "$summary"; }
# Evicts the named files from the page cache (posix_fadvise DONTNEED through dd's nocache flag): the next read is cold.
drop_caches() {
  if [ "$DROP_CACHES" = 1 ]; then sync; for f in "$@"; do dd if="$f" iflag=nocache count=0 status=none; done; fi
}
# Runs a command under /usr/bin/time -v (when present), its output in $RESULTS/$1.log.
timed() {
  local name="$1"; shift
  if [ -x /usr/bin/time ]; then /usr/bin/time -v "$@" > "$RESULTS/$name.log" 2>&1; else "$@" > "$RESULTS/$name.log" 2>&1; fi
  grep -E "Elapsed \(wall clock\)|Maximum resident set size" "$RESULTS/$name.log" | sed "s/^/  $name: /" | tee -a "$summary" || true
}

# The app as it ships (native AOT for this machine) and the generator.
if [ ! -x "$RESULTS/app/gensoftmax-cli" ]; then
  dotnet publish "$root/src/Demo/GenSoftmax.Demo.csproj" -c Release -o "$RESULTS/app" --nologo > "$RESULTS/publish.log" 2>&1 \
    || { tail -20 "$RESULTS/publish.log"; exit 1; }
fi
app="$RESULTS/app/gensoftmax-cli"
gen=(dotnet run -c Release --project "$root/bench/GenSoftmax.StreamBench" --)

say "== $(date -Is) $(git -C "$root" rev-parse --short HEAD) on $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GB"
say "   data $data ($(df -h "$data" | awk 'NR==2{print $1", "$4" free"}')); ROWS=$ROWS DIMS=$DIMS CLASSES=$CLASSES BUDGET=$BUDGET THREADS=$THREADS BATCH=$BATCH"
features="$data/probe/train.npy"

for step in $STEPS; do
  case "$step" in
    generate)
      "${gen[@]}" generate --out "$data/probe" --rows "$ROWS" --test-rows "$TEST_ROWS" --dims "$DIMS" --classes "$CLASSES" --noise "$NOISE" \
        | tee "$RESULTS/generate.log" | tee -a "$summary"
      ;;
    disk)
      say "-- disk: sequential read of $(du -h "$features" | cut -f1), cold cache, through the page cache and around it"
      drop_caches "$features"
      timed read-loop /usr/bin/python3 "$root/bench/streaming/readspeed.py" "$features"
      grep -E "^read" "$RESULTS/read-loop.log" | sed 's/^/  read loop: /' | tee -a "$summary"
      drop_caches "$features"
      timed read-loop-direct /usr/bin/python3 "$root/bench/streaming/readspeed.py" --direct "$features"
      grep -E "^read" "$RESULTS/read-loop-direct.log" | sed 's/^/  read loop: /' | tee -a "$summary"
      ;;
    epoch)
      say "-- epoch: one SGD epoch streamed under --memory-budget $BUDGET, cold cache"
      drop_caches "$features" "$data/probe/train.labels.npy"
      timed epoch "$app" train --data "$features" --test "$data/probe/test.npy" --memory-budget "$BUDGET" --epochs 1 \
        --batch "$BATCH" --lr "$LR" --momentum 0.9 --threads "$THREADS" --solver sgd
      grep -E "^ +1 |After|memory:" "$RESULTS/epoch.log" | sed 's/^/  /' | tee -a "$summary"
      say "  achievable accuracy: $(grep -o '"achievableAccuracy": [0-9.]*' "$data/probe/generated.json")"
      ;;
    warm)
      say "-- warm: $WARM_ROWS rows that fit, warm page cache: in memory, then streamed"
      "${gen[@]}" generate --out "$data/warm" --rows "$WARM_ROWS" --test-rows 0 --dims "$DIMS" --classes "$CLASSES" --noise "$NOISE" > "$RESULTS/warm-generate.log"
      /usr/bin/python3 "$root/bench/streaming/readspeed.py" "$data/warm/train.npy" "$data/warm/train.labels.npy" > "$RESULTS/warm-read.log"
      for mode in memory streamed; do
        budget=(); [ "$mode" = streamed ] && budget=(--memory-budget "$BUDGET")
        timed "warm-$mode" "$app" train --data "$data/warm/train.npy" "${budget[@]}" --epochs 3 --batch "$BATCH" --lr "$LR" \
          --momentum 0.9 --threads "$THREADS" --solver sgd
        grep -E "^ +[0-9]+ " "$RESULTS/warm-$mode.log" | sed "s/^/  $mode: /" | tee -a "$summary"
      done
      ;;
    csv)
      say "-- csv: converting a CSV of $CSV_ROWS rows, cold cache"
      "${gen[@]}" generate --out "$data/csv" --rows "$CSV_ROWS" --test-rows 0 --dims "$DIMS" --classes "$CLASSES" --noise "$NOISE" --format csv > "$RESULTS/csv-generate.log"
      say "  $(du -h "$data/csv/train.csv" | cut -f1) of CSV"
      drop_caches "$data/csv/train.csv"
      timed convert "$app" convert "$data/csv/train.csv" --output "$data/csv/converted.npy"
      grep -E "^Converted" "$RESULTS/convert.log" | sed 's/^/  /' | tee -a "$summary"
      ;;
    shuffle)
      say "-- shuffle: Fashion-MNIST test accuracy in memory and streamed under $SHUFFLE_BUDGET, seeds $SEEDS"
      mkdir -p "$data/fmnist"
      for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
        if [ -f "$FMNIST/$f.gz" ]; then gunzip -c "$FMNIST/$f.gz" > "$data/fmnist/$f"; else cp "$FMNIST/$f" "$data/fmnist/$f"; fi
      done
      for seed in $SEEDS; do
        for mode in memory streamed; do
          budget=(); [ "$mode" = streamed ] && budget=(--memory-budget "$SHUFFLE_BUDGET")
          "$app" train --data "$data/fmnist" "${budget[@]}" --seed "$seed" --solver sgd > "$RESULTS/shuffle-$mode-$seed.log" 2>&1
          accuracy=$(grep -o 'test accuracy [0-9.]*' "$RESULTS/shuffle-$mode-$seed.log" | awk '{print $3}')
          say "  seed $seed $mode: test accuracy $accuracy"
        done
      done
      ;;
    *) echo "unknown step $step (steps: generate disk epoch warm csv shuffle)"; exit 2 ;;
  esac
done
say "== done; logs in $RESULTS"
