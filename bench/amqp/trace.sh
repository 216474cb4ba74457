#!/usr/bin/env bash
# Concurrency 1, one pair of processes under trace.js (diagnosis; run it under the bench lock):
#   [PKI=dir] [NODE_FLAGS='--v8-flag ...'] bench/amqp/trace.sh raw|raw-props|nanite|secure [seconds=3] [warm-up seconds=2]
# Prints the caller's RESULT line and both processes' TRACE lines. Alternate systems, several
# times: the machine's speed drifts between sittings, so only pairs run side by side compare.
set -euo pipefail
sys=$1
seconds=${2:-3}
warmup=${3:-2}
url=${NANITE_AMQP_URL:-amqp://guest:guest@127.0.0.1:5672}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export NANITE_LOG_LEVEL=error BENCH_PAYLOAD=${BENCH_PAYLOAD:-100}
tag="trace-$$-$RANDOM"
# shellcheck source=pair-args.sh
. "$here/pair-args.sh"
pair_args "$sys" "$url" "$tag"
cd "$here"
TL_NAME=$sys-responder node ${NODE_FLAGS:-} -r ./trace.js "${S[@]}" > "$tmp/srv" &
s=$!
until grep -q ready "$tmp/srv" 2>/dev/null; do sleep 0.1; done
TL_NAME=$sys-caller TL_SKIP_MS=$(( (warmup + 1) * 1000 )) BENCH_SECONDS=$seconds BENCH_CONCURRENCY=1 BENCH_WARMUP=$warmup node ${NODE_FLAGS:-} -r ./trace.js "${C[@]}" | grep '^RESULT'
kill -TERM "$s"; wait "$s" || true
remove_topology "$sys" "$url" "$tag"
