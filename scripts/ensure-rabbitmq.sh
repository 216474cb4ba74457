#!/usr/bin/env bash
# Makes sure a RabbitMQ broker answers on 127.0.0.1:5672 (or $NANITE_AMQP_PORT).
# Starts the local rabbitmq-server when nothing listens; installs Debian's package first when it
# is missing and we are root (CI) — also when a broker answers already, since the suites' private
# nodes (scripts/amqp-chaos-broker.sh, scripts/amqp-cluster.sh) need rabbitmq-server and
# rabbitmqctl. Exits non-zero with instructions when it cannot.
set -u
port="${NANITE_AMQP_PORT:-5672}"
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }
if ! command -v rabbitmq-server >/dev/null 2>&1 || ! command -v rabbitmqctl >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure-rabbitmq: installing rabbitmq-server (Debian package)"
    # Installing starts the package's own broker on 5672 when nothing listens there yet.
    apt-get update -qq && apt-get install -y -qq rabbitmq-server >/dev/null
  fi
fi
listening && exit 0
if ! command -v rabbitmq-server >/dev/null 2>&1; then
  echo "ensure-rabbitmq: no broker on 127.0.0.1:$port and rabbitmq-server is not installed." >&2
  echo "  Install it (apt-get install rabbitmq-server) or point NANITE_AMQP_URL at a broker." >&2
  exit 1
fi
echo "ensure-rabbitmq: starting rabbitmq-server -detached"
rabbitmq-server -detached >/dev/null 2>&1 || true
for _ in $(seq 1 90); do
  listening && { echo "ensure-rabbitmq: broker is up on port $port"; exit 0; }
  sleep 1
done
echo "ensure-rabbitmq: the broker did not come up on port $port within 90 s" >&2
exit 1
