#!/usr/bin/env bash
# `make demo`: a fresh sample of each M4 shape (a new seed every run, from the held-out range the model never saw),
# answered by the bundled tiny model Loom trained itself (models/tiny-m4); one line per question: Loom's answer and
# the true one.
#   tools/demo.sh [LOOM] [MODEL]
set -euo pipefail
LOOM=${1:-.build/release/loom}
MODEL=${2:-models/tiny-m4}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
SEED=$(( 2000000 + ((RANDOM << 15) | RANDOM) ))
"$LOOM" data synth --task color,digit,spot-difference,odd-one-out,count-frames,motion,which-view --count 1 --seed "$SEED" \
  --format mixed --out "$WORK/demo" 2>/dev/null
"$LOOM" eval run --model "$MODEL" --data "$WORK/demo/data.json" --media-root "$WORK/demo" --out "$WORK/answers.jsonl" \
  --max-new-tokens 12 --template checkpoint 2>/dev/null
python3 - "$WORK/answers.jsonl" "$SEED" <<'EOF'
import json, sys
shapes = {"color": "single image", "digit": "single image", "spot-difference": "multi-image", "odd-one-out": "multi-image",
          "count-frames": "multi-frame", "motion": "multi-frame", "which-view": "multi-view"}
def norm(text): 
    text = text.strip().lower()
    return text[:-1] if text.endswith(".") else text
right = 0
lines = [json.loads(line) for line in open(sys.argv[1])]
print(f"models/tiny-m4 on fresh samples (seed {sys.argv[2]}):")
for r in lines:
    question = " ".join(r["prompt"].replace("<image>", "[img]").split())
    ok = norm(r["pred_response"]) == norm(r["gt_response"])
    right += ok
    print(f"  {shapes.get(r['dataset'], r['dataset']):>12} | {question:<60} | Loom: {r['pred_response'].strip():<28} | true: {r['gt_response']:<28} {'✓' if ok else '✗'}")
print(f"{right}/{len(lines)} right")
EOF
