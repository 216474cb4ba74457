// Hosts `n` mappers (each with its own AMQP connection, as separate processes would have) on one
// prefix. Between the "measure" and "stop" lines on stdin, each mapper notes how late it handled
// every Ping that carries a send time `t` (heartbeat-sim.cjs stamps them). On "stop" (or SIGTERM)
// it reports, per mapper: Pings handled in the window, lag p50/p99/max, and the most agents known.
// Usage: node mappers.cjs <url> <prefix> <n> [roster:on|off]
'use strict';
const { Mapper, AmqpTransport } = require('@nanite/core');

const [url, prefix, nArg, rosterArg] = process.argv.slice(2);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const sep = url.includes('?') ? '&' : '?';
const pct = (xs, p) => (xs.length ? xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] : NaN);

/** The transport, with the mapper's sink wrapped to time Pings stamped with `t`. */
function timed(transport, probe) {
  return new Proxy(transport, {
    get(target, key) {
      if (key === 'openMapper') {
        return (identity, sink) => target.openMapper(identity, {
          ...sink,
          onPacket(packet, sender) {
            sink.onPacket(packet, sender);
            const t = packet?.t;
            if (probe.on && typeof t === 'number') probe.lags.push(Date.now() - t);
          },
        });
      }
      const v = Reflect.get(target, key);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

async function main() {
  const mappers = [];
  for (let i = 0; i < Number(nArg); i++) {
    const transport = new AmqpTransport({ url: `${url}${sep}prefix=${prefix}`, logger: quiet });
    const probe = { on: false, lags: [] };
    const m = new Mapper({ transport: timed(transport, probe), logger: quiet, ...(rosterArg === 'on' ? {} : { roster: false }) });
    await m.start();
    mappers.push({ m, transport, probe, seen: 0 });
  }
  process.stdout.write('ready\n');
  // Most agents each mapper knew at once (the simulated agents unregister before we are stopped).
  const sampler = setInterval(() => mappers.forEach((x) => (x.seen = Math.max(x.seen, x.m.stats.agents))), 200);
  let window0 = 0;
  let windowMs = 0;
  let done = false;
  const finish = async () => {
    if (done) return;
    done = true;
    clearInterval(sampler);
    if (window0 && !windowMs) windowMs = Date.now() - window0;
    const per = mappers.map(({ probe, seen }) => {
      const lags = probe.lags.sort((a, b) => a - b);
      return { seen, handled: lags.length, lagP50: pct(lags, 0.5), lagP99: pct(lags, 0.99), lagMax: lags.length ? lags[lags.length - 1] : NaN };
    });
    process.stdout.write(`RESULT ${JSON.stringify({ windowMs, mappers: per })}\n`);
    for (const { m, transport } of mappers) {
      await m.close();
      await transport.close();
    }
    process.exit(0);
  };
  let buffered = '';
  process.stdin.on('data', (d) => {
    buffered += d.toString();
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line === 'measure') {
        window0 = Date.now();
        for (const x of mappers) x.probe.on = true;
      } else if (line === 'stop') {
        windowMs = Date.now() - window0;
        for (const x of mappers) x.probe.on = false;
        void finish();
      }
    }
  });
  process.on('SIGTERM', () => void finish());
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
