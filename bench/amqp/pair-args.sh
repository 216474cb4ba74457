# Sourced by the concurrency-1 diagnosis scripts (c1-anatomy.sh, trace.sh, hops.sh):
#   pair_args SYSTEM URL TAG   sets S (responder argv) and C (caller argv) for one system
#   remove_topology SYSTEM URL TAG   deletes what a Nanite pair leaves in the broker
# Systems: raw, raw-props (raw amqplib publishing like Nanite), nanite, nanite-amo (the agent in
# at-most-once delivery), secure (needs PKI: a
# directory from `nanite certs init` / `issue bench-agent` / `issue bench-mapper --role mapper`).
pair_args() {
  local sys=$1 url=$2 tag=$3
  case $sys in
    raw) S=(raw.server.js "$url" "$tag"); C=(raw.client.js "$url" "$tag") ;;
    raw-props) S=(raw.server.js "$url" "$tag"); C=(raw.client.js "$url" "$tag" props) ;;
    nanite) S=(nanite.server.js "$url?prefix=$tag"); C=(nanite.client.js "$url?prefix=$tag" nanite) ;;
    nanite-amo) S=(nanite.server.js "$url?prefix=$tag&delivery=at-most-once"); C=(nanite.client.js "$url?prefix=$tag" nanite-amo) ;;
    secure)
      [ -n "${PKI:-}" ] || { echo "secure: set PKI to a directory from nanite certs init/issue (bench-agent, bench-mapper --role mapper)" >&2; exit 2; }
      S=(nanite.server.js "$url?prefix=$tag" "$PKI"); C=(nanite.client.js "$url?prefix=$tag" nanite-secure "$PKI") ;;
    *) echo "unknown system $sys" >&2; exit 2 ;;
  esac
}

remove_topology() {
  case $1 in
    nanite|nanite-amo|secure) node -e 'require("@nanite/core").removeAmqpTopology(process.argv[1], process.argv[2], { routes: ["/bench/echo"] })' "$2" "$3" ;;
  esac
}
