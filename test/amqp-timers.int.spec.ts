/**
 * amqp:// timers and the process lifetime, in child processes on the built @nanite/core: an agent
 * and a mapper that were stopped leave nothing that keeps the process alive, while an agent whose
 * broker is down is kept alive by the reconnect (the one timer that must hold the process).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { AMQP_URL, removeTopology, uniquePrefix } from './amqp.helpers';

/** Runs `script` in a child node process; resolves with its exit code, or 'alive' after `ms`. */
async function runFor(script: string, ms: number): Promise<number | 'alive'> {
  const child = spawn(process.execPath, ['-e', script], { cwd: __dirname, stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = once(child, 'exit').then(([code]) => code as number);
  let timer: NodeJS.Timeout | undefined;
  const alive = new Promise<'alive'>((resolve) => (timer = setTimeout(() => resolve('alive'), ms)));
  const outcome = await Promise.race([exited, alive]);
  clearTimeout(timer);
  if (outcome === 'alive') {
    child.kill('SIGKILL');
    await exited;
  }
  return outcome;
}

describe('amqp:// timers and the process lifetime', () => {
  const prefixes: string[] = [];
  afterAll(() => removeTopology(AMQP_URL, prefixes));

  test('a process whose agent and mapper were stopped exits by itself', async () => {
    const prefix = uniquePrefix('timers');
    prefixes.push(prefix);
    const script = `
      const { Agent, AmqpTransport, Mapper, defineActor } = require('@nanite/core');
      (async () => {
        const t = new AmqpTransport({ url: ${JSON.stringify(AMQP_URL)}, prefix: ${JSON.stringify(prefix)}, probeInterval: 20 });
        const agent = new Agent({ transport: t, identity: 'a', pingInterval: 50, actors: [defineActor('t', { slow: () => new Promise((r) => setTimeout(() => r('ok'), 100)) })] });
        await agent.start();
        const mapper = new Mapper({ transport: t });
        await mapper.start();
        await mapper.waitForAgents({ route: '/t/slow', timeout: 5000 });
        await Promise.all([mapper.request('/t/slow', null), mapper.request('/t/slow', null)]);
        await mapper.close();
        await agent.stop();
        await t.close();
      })().catch((err) => { console.error(err); process.exit(2); });
    `;
    expect(await runFor(script, 8_000)).toBe(0);
  });

  test('an agent whose broker is down keeps its process alive (reconnecting) until it is stopped', async () => {
    const script = `
      const { Agent, defineActor } = require('@nanite/core');
      const agent = new Agent({ transport: 'amqp://guest:guest@127.0.0.1:1?reconnectMin=50&reconnectMax=100', identity: 'waiting', actors: [defineActor('t', { x: () => 1 })] });
      agent.start().catch((err) => { console.error(err); process.exit(2); });
    `;
    expect(await runFor(script, 1_500)).toBe('alive');
  });
});
