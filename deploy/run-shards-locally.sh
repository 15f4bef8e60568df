#!/usr/bin/env bash
# Runs deploy/sweep-job.yaml's shards here, one process per index with
# JOB_COMPLETION_INDEX set as the Job controller sets it, merges them, and
# checks the merge against the same sweep on one machine, byte for byte.
# Usage: deploy/run-shards-locally.sh [SCENARIO] [SHARDS]
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=${1:-examples/rolling-update/scenario.yaml}
n=${2:-4}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/trunksim" ./cmd/trunksim
sweep=(sweep "$scenario" --seeds 1-12 --set controller.userClientQPS=12,24)
for ((i = 0; i < n; i++)); do
  JOB_COMPLETION_INDEX=$i "$work/trunksim" "${sweep[@]}" --shard "auto/$n" -o jsonl --out "$work/shard-$i.jsonl"
done
"$work/trunksim" sweep merge "$work"/shard-*.jsonl -o jsonl >"$work/merged.jsonl"
"$work/trunksim" "${sweep[@]}" -o jsonl >"$work/one.jsonl"
cmp "$work/merged.jsonl" "$work/one.jsonl"
echo "ok: $n shards merged equal one machine's sweep ($(wc -l <"$work/one.jsonl") results)"
