#!/usr/bin/env bash
# Packs a run directory, or a size-schedule directory with its stages, into a small copy that
# can be committed under results/: the settings, the metrics, the summaries and finite-size
# tables, and each latest checkpoint gzipped as checkpoint.json.gz (which vmc reads in place of
# checkpoint.json). Left out: checkpoint.prev.json and log.jsonl.
#
#   scripts/pack-run.sh SRC_DIR DST_DIR        e.g. scripts/pack-run.sh runs/retrain-tfim-chain100 results/retrain-tfim-chain100
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: scripts/pack-run.sh SRC_DIR DST_DIR" >&2; exit 2; }
src=$1
dst=$2
[ -d "$src" ] || { echo "pack-run: $src is not a directory" >&2; exit 2; }

has_checkpoint() { [ -f "$1/checkpoint.json" ] || [ -f "$1/checkpoint.json.gz" ]; }

pack_one() { # a run directory
  local from=$1 to=$2
  mkdir -p "$to"
  for f in config.json metrics.csv summary.json energy.svg anneal.svg nll.svg pretrain.csv; do
    if [ -f "$from/$f" ]; then cp "$from/$f" "$to/"; fi
  done
  if [ -f "$from/checkpoint.json" ]; then gzip -9 -c "$from/checkpoint.json" > "$to/checkpoint.json.gz"
  elif [ -f "$from/checkpoint.json.gz" ]; then cp "$from/checkpoint.json.gz" "$to/"; fi
}

rm -rf "$dst"
if [ -f "$src/schedule.json" ]; then
  mkdir -p "$dst"
  for f in "$src"/schedule.json "$src"/finite-size.*; do if [ -f "$f" ]; then cp "$f" "$dst/"; fi; done
  for stage in "$src"/stage*/; do
    stage=${stage%/}
    # a stage without a checkpoint (e.g. a finished one packed earlier without it) keeps its
    # settings, metrics and summary
    if has_checkpoint "$stage" || [ -f "$stage/summary.json" ]; then pack_one "$stage" "$dst/$(basename "$stage")"; fi
  done
else
  has_checkpoint "$src" || { echo "pack-run: $src has no checkpoint.json" >&2; exit 1; }
  pack_one "$src" "$dst"
fi
du -sh "$dst"
