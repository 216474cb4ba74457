#!/usr/bin/env bash
# A private three-node RabbitMQ cluster for tests and benchmarks (never the shared broker on 5672).
#   scripts/amqp-cluster.sh start <tag> <basePort>  nodes <tag>-1..3@localhost on AMQP ports basePort..basePort+2
#                                                  (Erlang distribution on port+20000), joined into one cluster;
#                                                  returns once all three accept AMQP. Idempotent: a running,
#                                                  complete cluster of that tag is left as it is.
#   scripts/amqp-cluster.sh stop_app <tag> <i>      node i's broker gone (port closed, VM alive)
#   scripts/amqp-cluster.sh start_app <tag> <i>     node i's broker back; returns once it accepts AMQP
#   scripts/amqp-cluster.sh kill <tag> <i>          SIGKILL node i's Erlang VM (a crashed host)
#   scripts/amqp-cluster.sh restart <tag> <i>       start a killed node again (same data: it rejoins)
#   scripts/amqp-cluster.sh status <tag>            the running nodes, as rabbitmqctl sees them
#   scripts/amqp-cluster.sh stop <tag>              end every node, remove their files (idempotent)
# Files live under ${TMPDIR:-/tmp}/nanite-cluster-<tag>/n<i>. Needs root and Debian's rabbitmq-server
# (scripts/ensure-rabbitmq.sh installs it): the wrapper switches to the rabbitmq user, which must own
# each node's files (without that a node silently fails to start).
set -euo pipefail
cmd="${1:?usage: $0 start|stop_app|start_app|kill|restart|status|stop <tag> [basePort|i]}"
tag="${2:?cluster tag, e.g. ci}"
root="${TMPDIR:-/tmp}/nanite-cluster-$tag"
node() { echo "$tag-$1@localhost"; }
dir() { echo "$root/n$1"; }
port_of() { cat "$(dir "$1")/port"; }
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
ctl() { rabbitmqctl -q -n "$(node "$1")" "${@:2}"; }
wait_port() {
  for _ in $(seq 1 300); do listening "$1" && return 0; sleep 0.2; done
  echo "amqp-cluster: port $1 did not open within 60 s" >&2; return 1
}
# Port open first: await_startup called too early fails with "node not running at all".
wait_ready() { wait_port "$(port_of "$1")" && ctl "$1" await_startup >/dev/null; }

launch() { # i: start node i's VM on its files (fresh or kept)
  local d port; d="$(dir "$1")"; port="$(port_of "$1")"
  chown -R rabbitmq:rabbitmq "$d"
  RABBITMQ_NODENAME="$(node "$1")" RABBITMQ_NODE_PORT="$port" RABBITMQ_DIST_PORT="$((port + 20000))" \
    RABBITMQ_MNESIA_BASE="$d/mnesia" RABBITMQ_LOG_BASE="$d/log" RABBITMQ_PID_FILE="$d/pid" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$d/enabled_plugins" RABBITMQ_CONFIG_FILE="$d/rabbitmq.conf" \
    rabbitmq-server -detached >/dev/null 2>&1
}

healthy() { # every node up and all three in the cluster
  [ -d "$root" ] || return 1
  for i in 1 2 3; do listening "$(port_of "$i" 2>/dev/null || echo 1)" || return 1; done
  [ "$(ctl 1 eval 'length(rabbit_nodes:all_running()).' 2>/dev/null)" = 3 ]
}

stop_all() {
  for i in 1 2 3; do
    [ -f "$(dir "$i")/port" ] || continue
    rabbitmqctl -q -n "$(node "$i")" stop >/dev/null 2>&1 || true
    local pid; pid="$(cat "$(dir "$i")/pid" 2>/dev/null || true)"
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$root"
}

case "$cmd" in
  start)
    base="${3:?basePort}"
    if healthy && [ "$(port_of 1)" = "$base" ]; then exit 0; fi
    stop_all
    for i in 1 2 3; do
      d="$(dir "$i")"; port=$((base + i - 1))
      mkdir -p "$d/mnesia" "$d/log"
      echo '[].' > "$d/enabled_plugins"; echo "$port" > "$d/port"
      # Own config: the machine's rabbitmq.conf pins the listener to 5672.
      echo "listeners.tcp.local = 127.0.0.1:$port" > "$d/rabbitmq.conf"
    done
    for i in 1 2 3; do launch "$i"; done
    for i in 1 2 3; do wait_ready "$i"; done
    for i in 2 3; do
      ctl "$i" stop_app >/dev/null
      ctl "$i" join_cluster "$(node 1)" >/dev/null
      ctl "$i" start_app >/dev/null
      wait_ready "$i"
    done
    healthy || { echo "amqp-cluster: nodes started but the cluster is incomplete" >&2; exit 1; }
    ;;
  stop_app) ctl "${3:?node 1..3}" stop_app >/dev/null ;;
  start_app)
    ctl "${3:?node 1..3}" start_app >/dev/null
    wait_ready "$3"
    ;;
  kill)
    pid="$(cat "$(dir "${3:?node 1..3}")/pid")"
    kill -9 "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
    ;;
  restart)
    launch "${3:?node 1..3}"
    wait_ready "$3"
    ;;
  status) ctl 1 eval 'rabbit_nodes:all_running().' ;;
  stop) stop_all ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
