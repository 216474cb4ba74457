/** `nanite admin` in-process on memory://: the Control Tower page and API, auth, shutdown on a signal. */
import { request as httpRequest } from 'node:http';
import { Agent } from '@nanite/core';
import { EXIT, runAdmin, type AdminCommandOptions } from '../src';
import { FakeSignals, memoryUrl, quietLogger, simpleActor, testIo, until, type TestIo } from './helpers';

/** A GET with a Host header of our choosing (fetch does not let us set one). */
function get(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

describe('runAdmin', () => {
  let url: string;
  let signals: FakeSignals;
  let io: TestIo;
  let agent: Agent;
  let run: Promise<number> | undefined;

  const serve = async (options: Partial<AdminCommandOptions> = {}): Promise<string> => {
    let page = '';
    run = runAdmin({ url, port: 0, logFormat: 'json', onListening: (p) => (page = p), ...options }, io, signals);
    await until(() => page !== '' || io.stderr.text !== '', 5000, 'the Control Tower to listen');
    if (!page) throw new Error(io.stderr.text);
    return page;
  };

  beforeEach(async () => {
    url = memoryUrl();
    signals = new FakeSignals();
    io = testIo();
    agent = new Agent({ transport: url, identity: 'fred', tags: ['eu'], actors: [simpleActor()], logger: quietLogger });
    await agent.start();
  });

  afterEach(async () => {
    if (signals.listening() > 0) signals.emit('SIGTERM');
    await run;
    run = undefined;
    await agent.stop();
  });

  it('serves the page and the agents API, and closes on SIGTERM with exit 0', async () => {
    const page = await serve();
    expect(page).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const html = await fetch(page);
    expect(html.status).toBe(200);
    expect(await html.text()).toMatch(/<!doctype html>/i);
    const board = async (): Promise<string[]> => ((await (await fetch(`${page}api/agents`)).json()) as { agents: Array<{ identity: string }> }).agents.map((a) => a.identity);
    let agents = await board();
    // The tower's mapper learns fred from its answer to the Advertise: poll the snapshot briefly.
    for (let i = 0; i < 100 && agents.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      agents = await board();
    }
    expect(agents).toEqual(['fred']);
    expect(io.stdout.text).toContain('Control Tower at http://127.0.0.1:');
    signals.emit('SIGTERM');
    expect(await run).toBe(EXIT.OK);
    expect(signals.listening()).toBe(0);
    await expect(fetch(page)).rejects.toThrow();
  });

  it('requires the bearer token on the API when given one', async () => {
    const page = await serve({ authToken: 's3cret', prefix: '/tower' });
    expect(page).toMatch(/\/tower\/$/);
    expect((await fetch(`${page}api/agents`)).status).toBe(401);
    expect((await fetch(`${page}api/agents`, { headers: { authorization: 'Bearer s3cret' } })).status).toBe(200);
  });

  it('refuses a non-loopback host without a token (exit 2), before listening or connecting', async () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'tower.example.com']) {
      const io2 = testIo();
      const signals2 = new FakeSignals();
      let listened = false;
      const code = await runAdmin({ url, port: 0, host, onListening: () => (listened = true) }, io2, signals2);
      expect(code).toBe(EXIT.USAGE);
      expect(listened).toBe(false);
      expect(signals2.listening()).toBe(0);
      expect(io2.stderr.text).toMatch(/^NANITE_ERR_INVALID_ARGUMENT: Refusing to serve the Control Tower on .+ without a token/);
      expect(io2.stderr.text).toContain('NANITE_ADMIN_TOKEN');
      expect(io2.stderr.text).toContain('--insecure-no-auth');
    }
  });

  it('serves a non-loopback host with a token, without a warning', async () => {
    const page = await serve({ host: '0.0.0.0', authToken: 's3cret' });
    expect((await fetch(`${page}api/agents`)).status).toBe(401);
    expect(io.stdout.text).not.toContain('insecure');
  });

  it('serves a non-loopback host without a token under --insecure-no-auth, with a warning', async () => {
    const page = await serve({ host: '0.0.0.0', insecureNoAuth: true });
    expect((await fetch(`${page}api/agents`)).status).toBe(200);
    const warning = io.stdout.text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { level: number; msg: string; host?: string })
      .find((l) => l.msg.startsWith('--insecure-no-auth'));
    expect(warning).toMatchObject({ level: 40, host: '0.0.0.0' });
  });

  it('without a token, answers only loopback names, --host and --allowed-host (DNS-rebinding protection)', async () => {
    const page = await serve({ host: '0.0.0.0', insecureNoAuth: true, allowedHosts: ['tower.lan'] });
    const port = new URL(page).port;
    const withHost = async (host: string): Promise<number> => (await get(`http://127.0.0.1:${port}/api/agents`, host)).status;
    expect(await withHost(`localhost:${port}`)).toBe(200);
    expect(await withHost(`0.0.0.0:${port}`)).toBe(200);
    expect(await withHost(`tower.lan:${port}`)).toBe(200);
    const refused = await get(`http://127.0.0.1:${port}/api/agents`, `rebound.evil.example:${port}`);
    expect(refused.status).toBe(403);
    expect((JSON.parse(refused.body) as { message: string }).message).toMatch(/^Host "rebound\.evil\.example:\d+" is not allowed/);
  });

  it('exits with a clear error when the port is taken', async () => {
    const first = await serve();
    const port = Number(new URL(first).port);
    const io2 = testIo();
    const code = await runAdmin({ url, port, logLevel: 'silent' }, io2, new FakeSignals());
    expect(code).toBe(EXIT.FAILURE);
    expect(io2.stderr.text).toMatch(/EADDRINUSE/);
  });
});
