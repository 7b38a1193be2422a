#!/bin/bash
# A Slurm job array that runs the LLaVA-Interleave Bench on 8 machines: each array task answers its own contiguous
# slice (loom eval run reads SLURM_ARRAY_TASK_ID / _MIN / _COUNT itself) and can be resubmitted: --resume keeps
# what a killed task already wrote. Merge and score when all tasks are done:
#   loom eval score results/in_domain.*.jsonl --output markdown
#SBATCH --job-name=loom-eval
#SBATCH --array=0-7
#SBATCH --cpus-per-task=16
#SBATCH --mem=32G
#SBATCH --output=logs/eval_%A_%a.log
set -euo pipefail
mkdir -p results
loom eval run \
  --model llava-interleave-qwen-7b-hf --dtype bf16 \
  --data interleave_data/multi_image_in_domain.json --media-root interleave_data \
  --out "results/in_domain.${SLURM_ARRAY_TASK_ID}.jsonl" --resume
