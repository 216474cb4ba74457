#!/usr/bin/env bash
# Concurrency 1 over amqp://, taken apart (Linux, diagnosis only; run it under the bench lock):
#   [SYSTEMS="raw nanite"] [PLACEMENTS="0:0 0:1 0,1:0,1"] [CONCURRENCY=1] bench/amqp/c1-anatomy.sh [rounds=2] [seconds=2]
# (SYSTEMS may also name raw-props: raw amqplib publishing like Nanite; PLACEMENTS: responder:caller cpus;
# CONCURRENCY: requests in flight, 1 unless given: at 64 the broker's CPU per request is its work per
# message, with the wake-ups of an idle broker mostly gone)
# For raw amqplib and Nanite, with the responder and the caller pinned (taskset) to the same core,
# to different cores, and left to the scheduler, prints req/s, p50, and the CPU µs per request of
# the caller, the responder and the broker (beam.smp, from /proc) plus the broker's voluntary
# context switches per request. Pinning is an experiment: it shows how much of the concurrency-1
# latency is cross-core wake-up cost rather than anybody's code. Nothing in the product pins.
set -euo pipefail
rounds=${1:-2}
seconds=${2:-2}
url=${NANITE_AMQP_URL:-amqp://guest:guest@127.0.0.1:5672}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=pair-args.sh
. "$here/pair-args.sh"
beam=$(pgrep -f beam.smp | head -1 || true)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export NANITE_LOG_LEVEL=error BENCH_PAYLOAD=${BENCH_PAYLOAD:-100}

beam_snap() { # voluntary context switches, CPU ticks
  [ -n "$beam" ] || { echo "0 0"; return; }
  echo "$(cat /proc/"$beam"/task/*/status 2>/dev/null | awk '/^voluntary_ctxt_switches/{v+=$2} END{print v}') $(awk '{print $14+$15}' /proc/"$beam"/stat)"
}

one() { # system, responder cpus, caller cpus
  local sys=$1 scpu=$2 ccpu=$3 tag="c1a-$$-$RANDOM" s c
  local S C
  pair_args "$sys" "$url" "$tag"
  (cd "$here" && exec taskset -c "$scpu" node "${S[@]}") > "$tmp/srv" &
  s=$!
  until grep -q ready "$tmp/srv" 2>/dev/null; do sleep 0.1; done
  local a b
  a=$(beam_snap)
  (cd "$here" && BENCH_SERVER_PID=$s BENCH_SECONDS=$seconds BENCH_CONCURRENCY=${CONCURRENCY:-1} exec taskset -c "$ccpu" node "${C[@]}") > "$tmp/res"
  b=$(beam_snap)
  kill -TERM "$s"; wait "$s" || true
  # Nanite's durable exchanges and park queue outlive the processes: remove them (raw's queue auto-deletes).
  (cd "$here" && remove_topology "$sys" "$url" "$tag")
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8").split("\n").find((l) => l.startsWith("RESULT ")).slice(7));
    const [v0, t0] = process.argv[2].split(" ").map(Number), [v1, t1] = process.argv[3].split(" ").map(Number);
    const n = r.rps * Number(process.argv[4]) + r.rps; // the 1 s warm-up (same concurrency) is counted by the broker too
    console.log(`| ${process.argv[5]} | ${process.argv[6]} | ${r.rps} | ${r.p50us} | ${r.callerCpuUsPerReq} | ${r.responderCpuUsPerReq} | ${((t1 - t0) * 1e4 / n).toFixed(0)} | ${((v1 - v0) / n).toFixed(1)} |`);
  ' "$tmp/res" "$a" "$b" "$seconds" "$sys" "responder@$scpu caller@$ccpu"
}

echo "| system | placement | req/s | p50 (µs) | caller µs/req | responder µs/req | broker µs/req (approx.) | broker cswch/req |"
echo "|---|---|---|---|---|---|---|---|"
for _ in $(seq "$rounds"); do
  for sys in ${SYSTEMS:-raw nanite}; do
    for p in ${PLACEMENTS:-0:0 0:1 0,1:0,1}; do one "$sys" "${p%%:*}" "${p##*:}"; done
  done
done
echo "load average $(cut -d' ' -f1-3 /proc/loadavg)"
