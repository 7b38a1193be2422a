#!/usr/bin/env bash
# Builds the tiny M4 model Loom trains itself (issue 17, train.md §9): synthetic data → a BPE tokenizer trained on it
# → fresh weights → stage A (single-image tasks) → stage B (all tasks, mixed formats, single-image replay) → held-out
# evaluation. Everything runs through `loom`; the log of every stage lands in $OUT/logs. Deterministic given the seeds.
#
#   tools/tiny_model/build.sh [LOOM] [OUT]     (defaults: .build/release/loom, build/tiny-m4)
#   STAGE_A_STEPS=… STAGE_B_STEPS=… BATCH=… override the schedule.
set -euo pipefail
LOOM=${1:-.build/release/loom}
OUT=${2:-build/tiny-m4}
STAGE_A_STEPS=${STAGE_A_STEPS:-300}
STAGE_B_STEPS=${STAGE_B_STEPS:-4000}
BATCH=${BATCH:-16}
SINGLE="color,shape,digit"
MULTI="spot-difference,odd-one-out,count-frames,motion,which-view"
mkdir -p "$OUT/logs"

stamp() { echo "[$(date +%H:%M:%S)] $*" | tee -a "$OUT/logs/build.log"; }

stamp "data: stage A ($SINGLE), stage B (all tasks), held-out sets from seeds ≥ 1,000,000"
# --count is per task: one pass over each set is the stage's steps × batch samples.
"$LOOM" data synth --task "$SINGLE" --count $((STAGE_A_STEPS * BATCH / 3)) --seed 0 --format mixed --out "$OUT/data/stage-a"
"$LOOM" data synth --task "$SINGLE,$MULTI" --count $((STAGE_B_STEPS * BATCH / 8)) --seed 100000 --format mixed --out "$OUT/data/stage-b"
for format in front interleaved; do
  "$LOOM" data synth --task "$SINGLE,$MULTI" --count 50 --seed 1000000 --format "$format" --out "$OUT/data/held-$format"
done

stamp "tokenizer: byte-level BPE on the training text"
"$LOOM" data train-tokenizer "$OUT/data/stage-a/data.json" "$OUT/data/stage-b/data.json" --vocab-size 1024 --out "$OUT/tokenizer"
# The chat template of the format the model is trained in (the llava-next preset: system prompt, images where the
# text puts them), so that generate, serve and eval with the checkpoint's template ask as training did.
cp tools/tiny_model/chat_template.json "$OUT/tokenizer/chat_template.json"

stamp "weights: fresh (seed 0)"
"$LOOM" init --config models/tiny-m4/architecture.json --tokenizer "$OUT/tokenizer" --fit-tokenizer --seed 0 --out "$OUT/init"

stamp "stage A: single-image tasks, every part trained"
"$LOOM" train --model "$OUT/init" --data "$OUT/data/stage-a/data.json" --tune projector,language_model,vision_tower --preset llava-next \
  --lr 1e-3 --warmup-steps 50 --schedule constant --weight-decay 0.01 --adam-beta2 0.98 --batch-size "$BATCH" --max-steps "$STAGE_A_STEPS" \
  --seed 1 --out "$OUT/stage-a" 2> >(tee "$OUT/logs/stage-a.log" >&2)

stamp "stage B: every task, front and interleaved formats"
"$LOOM" train --model "$OUT/stage-a" --data "$OUT/data/stage-b/data.json" --tune projector,language_model,vision_tower --preset llava-next \
  --lr 1e-3 --warmup-steps 50 --schedule cosine --weight-decay 0.01 --adam-beta2 0.98 --batch-size "$BATCH" --max-steps "$STAGE_B_STEPS" \
  --eval-data "$OUT/data/held-front/data.json" --eval-every 500 --save-every 500 --seed 2 --out "$OUT/stage-b" 2> >(tee "$OUT/logs/stage-b.log" >&2)

stamp "held-out accuracy (exact match per task), both formats"
for format in front interleaved; do
  "$LOOM" eval run --model "$OUT/stage-b" --data "$OUT/data/held-$format/data.json" --media-root "$OUT/data/held-$format" \
    --out "$OUT/logs/held-$format.jsonl" --max-new-tokens 12 --template checkpoint
  "$LOOM" eval score "$OUT/logs/held-$format.jsonl" | tee "$OUT/logs/held-$format.txt"
done
stamp "done: $OUT/stage-b"

# The shipped model: weights, tokenizer, processor files and the logs of this build.
DEST=${DEST:-models/tiny-m4}
mkdir -p "$DEST/training"
for f in model.safetensors config.json generation_config.json tokenizer.json tokenizer_config.json chat_template.json \
         preprocessor_config.json processor_config.json; do
  cp "$OUT/stage-b/$f" "$DEST/$f"
done
cp "$OUT/stage-a/log.jsonl" "$DEST/training/stage-a.jsonl"
cp "$OUT/stage-b/log.jsonl" "$DEST/training/stage-b.jsonl"
cp "$OUT"/logs/held-*.txt "$OUT/logs/build.log" "$DEST/training/"
stamp "shipped: $DEST"
