// An agent's background timers (heartbeat, handler deadlines) never keep a process alive by
// themselves: a script that starts an agent and forgets to stop it still exits. Runs the built
// package (`npm test` builds first) in a child process, where "does it exit" can be observed.
import { spawnSync } from 'node:child_process';

const script = `
const { Agent, MemoryTransport, defineActor } = require('@nanite/core');
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
(async () => {
  const agent = new Agent({ transport: 'memory://unref', pingInterval: 50, logger: quiet, actors: [defineActor('h', {
    // Looks at its signal (arming the deadline timer) and never settles.
    hang: (_p, ctx) => new Promise(() => void ctx.signal),
  })] });
  await agent.start();
  const t = new MemoryTransport({ name: 'unref' });
  await t.connect();
  const link = await t.openMapper('m', { onPacket() {}, onMalformed() {}, onUndeliverable() {} });
  link.send(agent.identity, { v: 1, type: 'request', id: 1, route: '/h/hang', payload: null, replyTo: 'm', timeout: 60000, hops: 0 });
  setTimeout(() => console.log('running', agent.inFlight), 200);
})();
`;

test('an agent left running with a pending handler deadline does not keep the process alive', () => {
  const r = spawnSync(process.execPath, ['-e', script], { cwd: __dirname, timeout: 20_000, encoding: 'utf8' });
  expect(r.error).toBeUndefined();
  expect(r.stderr).toBe('');
  expect(r.stdout.trim()).toBe('running 1');
  expect(r.status).toBe(0);
});
