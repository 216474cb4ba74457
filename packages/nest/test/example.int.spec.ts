/**
 * examples/nest-app as users run it (built by `turbo run build`): memory:// in one process, and
 * RabbitMQ with the agent and the HTTP API in two processes; SIGTERM drains in-flight work.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { AMQP_URL, amqpUrl, Prefixes } from './amqp.helpers';

jest.setTimeout(60_000);

const DIST = join(__dirname, '..', '..', '..', 'examples', 'nest-app', 'dist');

interface Proc {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the first match of `pattern` in stdout. */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
  exit: Promise<[number | null, NodeJS.Signals | null]>;
}

function start(script: string, env: Record<string, string>): Proc {
  const child = spawn(process.execPath, [join(DIST, script)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const waiters: Array<() => void> = [];
  const onData = (d: Buffer): void => {
    out += d.toString();
    for (const w of waiters) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exit = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return {
    child,
    output: () => out,
    exit,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const m = out.match(pattern);
          if (m) resolve(m);
        };
        waiters.push(check);
        check();
        void exit.then(() => reject(new Error(`${script} exited before printing ${pattern}:\n${out}`)));
      }),
  };
}

async function json(url: string, init?: RequestInit): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { ...init, headers: { connection: 'close', ...(init?.body ? { 'content-type': 'application/json' } : {}) } });
  return { status: res.status, body: (await res.json()) as unknown };
}

describe('examples/nest-app', () => {
  const procs: Proc[] = [];
  const prefixes = new Prefixes();

  afterEach(async () => {
    for (const p of procs.splice(0)) {
      if (p.child.exitCode === null && p.child.signalCode === null) {
        p.child.kill('SIGKILL');
        await p.exit;
      }
    }
    await prefixes.removeAll(AMQP_URL);
  });

  it('memory://: both apps in one process; SIGTERM closes the HTTP app, then the agent', async () => {
    const app = start('main-memory.js', { PORT: '0', NANITE_URL: `memory://example-${process.pid}` });
    procs.push(app);
    const [, base] = await app.waitFor(/api listening on (http:\/\/\S+)/);
    await expect(json(`${base}/calc/add?a=20&b=22`)).resolves.toEqual({ status: 200, body: { sum: 42, agent: 'inventory-agent' } });
    const bad = await json(`${base}/orders`, { method: 'POST', body: JSON.stringify({ item: 'apple', count: 0 }) });
    expect(bad).toMatchObject({ status: 400, body: { code: 'NANITE_ERR_VALIDATION', data: { messages: ['count must not be less than 1'] } } });
    app.child.kill('SIGTERM');
    const [code] = await app.exit;
    expect(app.output()).toContain('stopped');
    expect(code).toBe(0);
  });

  it('RabbitMQ: agent and API in two processes; SIGTERM on the agent lets an in-flight request finish', async () => {
    const NANITE_URL = amqpUrl(AMQP_URL, prefixes.next('example'));
    const agent = start('main-agent.js', { NANITE_URL, AGENT_ID: 'example-agent' });
    procs.push(agent);
    await agent.waitFor(/agent example-agent ready/);
    const api = start('main-api.js', { NANITE_URL, PORT: '0' });
    procs.push(api);
    const [, base] = await api.waitFor(/api listening on (http:\/\/\S+)/);

    // Bounded polling across processes: the API's mapper learns the agent from its heartbeat.
    const deadline = Date.now() + 15_000;
    while (((await json(`${base}/agents`)).body as unknown[]).length === 0) {
      if (Date.now() > deadline) throw new Error('the API never saw the agent');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await expect(json(`${base}/calc/add?a=1&b=2`)).resolves.toEqual({ status: 200, body: { sum: 3, agent: 'example-agent' } });
    await expect(json(`${base}/orders`, { method: 'POST', body: JSON.stringify({ item: 'apple', count: 2 }) })).resolves.toMatchObject({
      status: 201,
      body: { item: 'apple', left: 8, total: 5 },
    });

    const slow = json(`${base}/slow?ms=1500`);
    await agent.waitFor(/slow job \S+ started/);
    agent.child.kill('SIGTERM');
    await expect(slow).resolves.toEqual({ status: 200, body: { result: 'slept 1500 ms' } });
    const [, signal] = await agent.exit;
    expect(signal).toBe('SIGTERM'); // Nest re-raises the signal once app.close() has finished
    await expect(json(`${base}/calc/add?a=1&b=2`)).resolves.toMatchObject({ status: 503, body: { code: 'NANITE_ERR_NO_AGENT' } });

    api.child.kill('SIGTERM');
    await api.exit;
  });
});
