#!/usr/bin/env bash
# `make test`'s report of a failed lane: the lines that name a failure, then the lane's last
# lines, printed after both lanes have finished so that they end the CI log (which is often
# all a CI keeps). The lanes' whole logs stay in the directory given, for the next run to read.
# Usage: lane-report.sh LOG_DIR LANE RC [LANE RC ...]
set -euo pipefail
dir=$1
shift
while [ $# -ge 2 ]; do
  lane=$1 rc=$2
  shift 2
  [ "$rc" -eq 0 ] && continue
  log="$dir/$lane.log"
  echo "=== lane $lane failed (rc=$rc); whole log: $log"
  echo "=== lane $lane: lines naming a failure (first 30)"
  grep -n -E 'fatal: |FAILED!|^(fleet\| )?E   |^(fleet\| )?FAILED |failed=[1-9]|Traceback|ERROR ' "$log" | head -n 30 || true
  echo "=== lane $lane: last 40 lines"
  tail -n 40 "$log"
done
