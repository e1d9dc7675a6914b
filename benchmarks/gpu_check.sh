#!/usr/bin/env bash
# Issue 14's GPU measurements in one run (about 8 minutes on an H100 / H200):
#   1. where the 64x64 DCGAN step's time goes (torch.profiler, eager, batch 64);
#   2. benchmarks/throughput.py --device cuda: batch 64 / 256 / 1024, fp32 / bf16, with
#      CUDA graphs on/off and the data set on the device on/off (and channels_last);
#   3. train.compile on/off at batch 64;
#   4. end to end on one folder of 20,000 64x64 PNGs: ganforge (plain and fast settings)
#      vs pytorch/examples' dcgan/main.py (needs torchvision on the GPU machine);
# then one summary table of every measured row.
#
#   bash benchmarks/gpu_check.sh            # on a CUDA machine, from the repository root
#   bash benchmarks/gpu_check.sh --cpu      # every piece for 2 steps on CPU, tiny nets (a test runs this)
#
# CUDA graphs need the recipe to declare itself graph-safe (Recipe.graph_safe); every
# run prints a "# ...: data ...; CUDA graphs on/off: why" line, and the summary counts
# them, so a "graphs" row whose capture was refused says so.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}  # a Python with torch and ganforge's dependencies
export PYTHONPATH="$(cd .. && pwd)/src:${PYTHONPATH:-}"  # this checkout's ganforge, installed or not
LOG=${GPU_CHECK_LOG:-$(mktemp /tmp/gpu_check.XXXXXX.log)}
WORK=$(mktemp -d /tmp/gpu_check.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
export GANFORGE_CACHE="$WORK/cache"

if [[ "${1:-}" == "--cpu" ]]; then
  DEVICE=cpu; BATCHES=(8); PRECISIONS=(fp32); STEPS=2; IMAGES=64; E2E_STEPS=4; PROFILE_STEPS=1
  SMALL=(--set model.g.width=8 --set model.d.width=8); E2E_SMALL=",model.g.width=8,model.d.width=8"
  COMPILE=${GPU_CHECK_COMPILE:-0}  # compiling on CPU takes minutes: off unless asked for
  export OMP_NUM_THREADS=1
else
  DEVICE=cuda; BATCHES=(64 256 1024); PRECISIONS=(fp32 bf16); STEPS=50; IMAGES=20000; E2E_STEPS=800; PROFILE_STEPS=5
  SMALL=(); E2E_SMALL=""; COMPILE=1
  nvidia-smi -L | tee -a "$LOG"
fi
"$PY" -c "import torch; print('# torch', torch.__version__, 'cuda', torch.version.cuda)" | tee -a "$LOG"

section() { echo; echo "## $*" | tee -a "$LOG"; }

section "1. profile: eager step, fp32, batch ${BATCHES[0]}"
"$PY" profile_step.py --device "$DEVICE" --batch "${BATCHES[0]}" --steps "$PROFILE_STEPS" --rows 15 \
  --set train.cuda_graphs=false --set train.data_on_device=false "${SMALL[@]}" 2>&1 | tee -a "$LOG"

section "2. throughput: graphs x data on device x precision x batch"
"$PY" throughput.py --device "$DEVICE" --cases dcgan-64-rgb --steps "$STEPS" --batch "${BATCHES[@]}" \
  --precision "${PRECISIONS[@]}" "${SMALL[@]}" \
  --variant eager=train.cuda_graphs=false,train.data_on_device=false \
  --variant data-on-device=train.cuda_graphs=false,train.data_on_device=true \
  --variant graphs=train.cuda_graphs=true,train.data_on_device=false \
  --variant graphs+data=train.cuda_graphs=true,train.data_on_device=true \
  --variant graphs+data+channels_last=train.cuda_graphs=true,train.data_on_device=true,train.channels_last=true \
  2>&1 | tee -a "$LOG"

if [[ "$COMPILE" == 1 ]]; then
  section "3. train.compile on/off, batch ${BATCHES[0]}"
  "$PY" throughput.py --device "$DEVICE" --cases dcgan-64-rgb --steps "$STEPS" --batch "${BATCHES[0]}" \
    --precision "${PRECISIONS[@]}" "${SMALL[@]}" \
    --variant eager=train.cuda_graphs=false,train.data_on_device=true \
    --variant compile=train.compile=true,train.cuda_graphs=false,train.data_on_device=true \
    --variant compile+channels_last=train.compile=true,train.cuda_graphs=false,train.data_on_device=true,train.channels_last=true \
    2>&1 | tee -a "$LOG"
else
  section "3. train.compile: skipped (--cpu; GPU_CHECK_COMPILE=1 to run it)"
fi

section "4. end to end vs pytorch/examples, ${IMAGES} PNGs"
"$PY" end_to_end.py --folder "$WORK/folder64" --images "$IMAGES" --steps "$E2E_STEPS" --device "$DEVICE" --peer \
  --variant "fp32 plain=train.precision=fp32,train.cuda_graphs=false,train.data_on_device=false${E2E_SMALL}" \
  --variant "fast=train.precision=auto,train.cuda_graphs=auto,train.data_on_device=auto,train.channels_last=true${E2E_SMALL}" \
  2>&1 | tee -a "$LOG"

section "summary (every measured row; full log: $LOG)"
grep -h "^# .*CUDA graphs" "$LOG" | sed 's/^# [^:]*: //' | sort | uniq -c || true  # which paths the runs took
grep -h "^| " "$LOG" | grep -v "^| group\|^|---" || true
