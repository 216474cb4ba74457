#!/usr/bin/env bash
# A private RabbitMQ node for tests that stop the broker (never the shared one on 5672).
#   scripts/amqp-chaos-broker.sh start <name> <port>   start a node, wait until it accepts AMQP
#   scripts/amqp-chaos-broker.sh stop_app <name>        broker gone (port closed)
#   scripts/amqp-chaos-broker.sh start_app <name>       broker back
#   scripts/amqp-chaos-broker.sh stop <name>            end the node, remove its files
# Needs root (the Debian wrapper switches to the rabbitmq user, which must own the node's files).
set -euo pipefail
cmd="${1:?usage: $0 start|stop_app|start_app|stop <name> [port]}"
name="${2:?node name, e.g. chaos1}"
node="$name@localhost"
state="/tmp/nanite-chaos-$name"
port_of() { cat "$state/port"; }
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {
  for _ in $(seq 1 150); do listening "$1" && return 0; sleep 0.2; done
  echo "amqp-chaos-broker: $node did not open port $1" >&2; return 1
}
case "$cmd" in
  start)
    port="${3:?port}"
    rm -rf "$state"; mkdir -p "$state/mnesia" "$state/log"
    echo '[].' > "$state/enabled_plugins"; echo "$port" > "$state/port"
    # Own config: the machine's rabbitmq.conf pins the listener to 5672.
    echo "listeners.tcp.local = 127.0.0.1:$port" > "$state/rabbitmq.conf"
    chown -R rabbitmq:rabbitmq "$state"
    RABBITMQ_NODENAME="$node" RABBITMQ_NODE_PORT="$port" RABBITMQ_DIST_PORT="$((port + 20000))" \
      RABBITMQ_MNESIA_BASE="$state/mnesia" RABBITMQ_LOG_BASE="$state/log" RABBITMQ_PID_FILE="$state/pid" \
      RABBITMQ_ENABLED_PLUGINS_FILE="$state/enabled_plugins" RABBITMQ_CONFIG_FILE="$state/rabbitmq.conf" rabbitmq-server -detached >/dev/null 2>&1
    wait_port "$port"
    rabbitmqctl -q -n "$node" await_startup >/dev/null
    ;;
  stop_app) rabbitmqctl -q -n "$node" stop_app >/dev/null ;;
  start_app)
    rabbitmqctl -q -n "$node" start_app >/dev/null
    wait_port "$(port_of)"
    ;;
  stop)
    rabbitmqctl -q -n "$node" stop >/dev/null 2>&1 || true
    rm -rf "$state"
    ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
