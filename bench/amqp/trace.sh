#!/usr/bin/env bash
# Concurrency 1, one pair of processes under trace.js (diagnosis; run it under the bench lock):
#   [PKI=dir] bench/amqp/trace.sh raw|raw-props|nanite|secure [seconds=3] [warm-up seconds=2]
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
case $sys in
  raw) S=(raw.server.js "$url" "$tag"); C=(raw.client.js "$url" "$tag") ;;
  raw-props) S=(raw.server.js "$url" "$tag"); C=(raw.client.js "$url" "$tag" props) ;;
  nanite) S=(nanite.server.js "$url?prefix=$tag"); C=(nanite.client.js "$url?prefix=$tag" nanite) ;;
  secure) [ -n "${PKI:-}" ] || { echo "secure: set PKI to a directory from nanite certs init/issue (bench-agent, bench-mapper --role mapper)" >&2; exit 2; }
    S=(nanite.server.js "$url?prefix=$tag" "$PKI"); C=(nanite.client.js "$url?prefix=$tag" nanite-secure "$PKI") ;;
  *) echo "unknown system $sys" >&2; exit 2 ;;
esac
cd "$here"
TL_NAME=$sys-responder node -r ./trace.js "${S[@]}" > "$tmp/srv" &
s=$!
until grep -q ready "$tmp/srv" 2>/dev/null; do sleep 0.1; done
TL_NAME=$sys-caller TL_SKIP_MS=$(( (warmup + 1) * 1000 )) BENCH_SECONDS=$seconds BENCH_CONCURRENCY=1 BENCH_WARMUP=$warmup node -r ./trace.js "${C[@]}" | grep '^RESULT'
kill -TERM "$s"; wait "$s" || true
if [ "$sys" = nanite ] || [ "$sys" = secure ]; then node -e 'require("@nanite/core").removeAmqpTopology(process.argv[1], process.argv[2], { routes: ["/bench/echo"] })' "$url" "$tag"; fi
