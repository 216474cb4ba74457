#!/usr/bin/env bash
# Where a concurrency-1 round trip goes on the wire (diagnosis; Linux, root, tcpdump and tshark;
# run it under the bench lock):   [PKI=dir] bench/amqp/hops.sh raw|raw-props|nanite|secure [capture seconds=0.5]
# Runs one pair at concurrency 1, captures the loopback traffic to port 5672 in the middle of the
# run, and prints the median time between the four segments of each round trip: request publish
# → its delivery to the responder (broker), → the reply publish (responder), → its delivery to the
# caller (broker), → the next request publish (caller). KEEP=file keeps the capture (pcap).
set -euo pipefail
sys=$1
capture=${2:-0.5}
url=${NANITE_AMQP_URL:-amqp://guest:guest@127.0.0.1:5672}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] && cp "$tmp/cap.pcap" "$KEEP"; rm -rf "$tmp"' EXIT
export NANITE_LOG_LEVEL=error BENCH_PAYLOAD=${BENCH_PAYLOAD:-100}
tag="hops-$$-$RANDOM"
# shellcheck source=pair-args.sh
. "$here/pair-args.sh"
pair_args "$sys" "$url" "$tag"
cd "$here"
node "${S[@]}" > "$tmp/srv" &
s=$!
until grep -q ready "$tmp/srv" 2>/dev/null; do sleep 0.1; done
BENCH_SECONDS=3 BENCH_CONCURRENCY=1 BENCH_WARMUP=2 node "${C[@]}" > "$tmp/res" &
c=$!
sleep 3.5
timeout "$capture" tcpdump -i lo -w "$tmp/cap.pcap" -s 200 tcp port 5672 2> /dev/null || true
wait "$c"
grep '^RESULT' "$tmp/res"
kill -TERM "$s"; wait "$s" || true
remove_topology "$sys" "$url" "$tag"
tshark -r "$tmp/cap.pcap" -d tcp.port==5672,amqp -T fields -e frame.time_epoch -e tcp.srcport -e tcp.dstport -e amqp.method.method -e amqp.method.arguments.routing_key 2> /dev/null | node -e '
  const rows = require("fs").readFileSync(0, "utf8").trim().split("\n").map((l) => l.split("\t"));
  // The caller publishes requests (routing key not a reply-to address); the responder publishes replies.
  let caller, responder;
  for (const [, src, , m, rk] of rows) if (src !== "5672" && m && m.split(",").includes("40")) (rk && rk.startsWith("amq.rabbitmq.reply-to") ? (responder ??= src) : (caller ??= src));
  const ev = [];
  for (const [t, src, dst, m] of rows) {
    const ms = (m || "").split(",");
    if (src === caller && ms.includes("40")) ev.push(["out", +t]);
    else if (dst === responder && ms.includes("60")) ev.push(["in-r", +t]);
    else if (src === responder && ms.includes("40")) ev.push(["out-r", +t]);
    else if (dst === caller && ms.includes("60")) ev.push(["in", +t]);
  }
  const h = [[], [], [], []];
  for (let i = 0; i + 4 < ev.length; i++) {
    if (ev.slice(i, i + 5).map((e) => e[0]).join() !== "out,in-r,out-r,in,out") continue;
    for (let k = 0; k < 4; k++) h[k].push(ev[i + k + 1][1] - ev[i + k][1]);
  }
  const med = (a) => (a.sort((x, y) => x - y), Math.round(a[a.length >> 1] * 1e6));
  if (h[0].length === 0) console.log("HOPS: no complete round trip captured");
  else {
    const m = h.map(med);
    console.log(`HOPS n=${h[0].length} µs, medians: broker (request) ${m[0]}, responder ${m[1]}, broker (reply) ${m[2]}, caller ${m[3]}; sum ${m.reduce((a, b) => a + b)}`);
  }
'
