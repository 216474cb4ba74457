#!/usr/bin/env bash
# Concurrency 1, one pair of processes under `node --cpu-prof` (diagnosis; nothing else running):
#   [PROFILE_SECONDS=8] [LAST=6] bench/amqp/profile.sh raw|raw-props|nanite|nanite-amo [out-dir]
# Pins the responder to cpu 1 and the caller to cpu 0, samples every 50 µs, then prints for each
# process the share of busy (non-idle) time by category (native calls, node internals, amqplib,
# core's amqp transport, the rest of core, GC) and the top frames, over the last LAST seconds
# (bench/lib/cpuprofile-share.mjs). Alternate systems: only pairs run side by side compare.
set -euo pipefail
sys=$1
out=${2:-$(mktemp -d)}
url=${NANITE_AMQP_URL:-amqp://guest:guest@127.0.0.1:5672}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=pair-args.sh
. "$here/pair-args.sh"
tag="prof-$$-$RANDOM"
pair_args "$sys" "$url" "$tag"
export NANITE_LOG_LEVEL=error BENCH_PAYLOAD=${BENCH_PAYLOAD:-100}
mkdir -p "$out/$sys-responder" "$out/$sys-caller"
(cd "$here" && exec taskset -c 1 node --cpu-prof --cpu-prof-interval=50 --cpu-prof-dir="$out/$sys-responder" "${S[@]}") > "$out/$sys-srv.out" &
s=$!
until grep -q ready "$out/$sys-srv.out" 2>/dev/null; do sleep 0.1; done
(cd "$here" && BENCH_SERVER_PID=$s BENCH_SECONDS=${PROFILE_SECONDS:-8} BENCH_CONCURRENCY=1 exec taskset -c 0 node --cpu-prof --cpu-prof-interval=50 --cpu-prof-dir="$out/$sys-caller" "${C[@]}")
kill -TERM "$s"
wait "$s" || true
remove_topology "$sys" "$url" "$tag" || true
for side in caller responder; do
  echo "== $sys $side"
  node "$here/../lib/cpuprofile-share.mjs" "$out/$sys-$side"/*.cpuprofile "${LAST:-6}" 25
done
