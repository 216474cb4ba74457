// A mapper in its own process for bench/roster.bench.mjs: reports agent events (with this process's
// clock) over IPC, optionally stalls its own event loop (busy wait) every --stall-every ms for
// --stall ms, and answers { cmd: 'stats' } with its roster counters.
import nanite from '@nanite/core';

const { Mapper } = nanite;
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const url = arg('url');
const roster = arg('roster', 'on') === 'on';
const stallEvery = Number(arg('stall-every', 0));
const stallMs = Number(arg('stall', 1000));
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

const mapper = new Mapper({ transport: url, logger: quiet, discoveryWindow: 0, maxAgents: 20_000, ...(roster ? {} : { roster: false }) });
const send = (m) => process.send?.(m);
mapper.on('agent:down', (v, why) => send({ ev: 'down', id: v.identity, why, at: Date.now() }));
mapper.on('agent:suspect', (v) => send({ ev: 'suspect', id: v.identity, at: Date.now() }));
await mapper.start();
const startedAt = Date.now();
let stalls = 0;
let timer;
if (stallEvery > 0) {
  timer = setInterval(() => {
    const end = Date.now() + stallMs;
    while (Date.now() < end) {
      // The injected stall: the event loop is blocked, heartbeats pile up in the socket.
    }
    stalls++;
  }, stallEvery);
}
process.on('message', async (m) => {
  if (m.cmd === 'stats') {
    send({ ev: 'stats', stats: mapper.rosterStats() ?? null, stalls, seconds: (Date.now() - startedAt) / 1000, agents: mapper.agents().length, roster: mapper.roster().reduce((acc, a) => ({ ...acc, [a.state]: (acc[a.state] ?? 0) + 1 }), {}) });
  } else if (m.cmd === 'stop') {
    clearInterval(timer);
    await mapper.close();
    process.exit(0);
  }
});
send({ ev: 'ready', identity: mapper.identity });
