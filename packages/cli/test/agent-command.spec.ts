/** `nanite agent` in-process on memory://: start, serve, drain on a signal. */
import { join } from 'node:path';
import { Mapper, SpReqSocket, type Agent } from '@nanite/core';
import { EXIT, runAgent, type AgentCommandOptions } from '../src';
import { FakeSignals, memoryUrl, quietLogger, testIo, until, type TestIo } from './helpers';

const fixtures = join(__dirname, 'fixtures');
const simple = join(__dirname, '..', '..', '..', 'examples', 'simple-agent', 'simple.js');

describe('runAgent', () => {
  let url: string;
  let signals: FakeSignals;
  let io: TestIo;
  let agent: Agent | undefined;
  let mapper: Mapper | undefined;
  let run: Promise<number> | undefined;

  const start = async (options: Partial<AgentCommandOptions> = {}): Promise<Agent> => {
    let started: (a: Agent) => void = () => {};
    const ready = new Promise<Agent>((resolve) => {
      started = resolve;
    });
    run = runAgent({ url, actors: [simple, join(fixtures, 'slow.js')], logFormat: 'json', onStarted: started, ...options }, io, signals);
    agent = await Promise.race([ready, run.then((code) => Promise.reject(new Error(`agent exited ${code}: ${io.stderr.text}`)))]);
    mapper = new Mapper({ transport: url, logger: quietLogger });
    await mapper.start();
    return agent;
  };

  const logLines = (): Array<Record<string, unknown>> =>
    io.stdout.text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  beforeEach(() => {
    url = memoryUrl();
    signals = new FakeSignals();
    io = testIo();
  });

  afterEach(async () => {
    await mapper?.close();
    await agent?.stop();
    if (signals.listening() > 0) signals.emit('SIGTERM');
    await run;
    mapper = undefined;
    agent = undefined;
    run = undefined;
  });

  it('hosts the actors of the modules and logs JSON lines when not on a terminal', async () => {
    await start({ token: 'fred', tags: ['eu'], pingInterval: 250, concurrency: 3 });
    expect(await mapper!.request('/simple/echo', undefined, { target: 'fred' })).toBe('hello nanite');
    const started = logLines().find((l) => l.msg === 'agent started')!;
    expect(started).toMatchObject({ name: 'nanite-agent', identity: 'fred', url, tags: ['eu'], concurrency: 3, pingInterval: 250 });
    expect(started.routes).toEqual(expect.arrayContaining(['/simple/echo', '/slow/wait', '/slow/fail']));
    const [view] = await mapper!.waitForAgents({ route: '/simple/echo' });
    expect(view).toMatchObject({ identity: 'fred', tags: ['eu'], concurrency: 3, pingInterval: 250 });
  });

  it('--listen serves an SP endpoint (logged in `agent started`) that a --direct mapper and a plain SP REQ peer call', async () => {
    const a = await start({ token: 'sp', listen: 'tcp://127.0.0.1:0' });
    expect(a.endpoint).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    expect(logLines().find((l) => l.msg === 'agent started')).toMatchObject({ identity: 'sp', endpoint: a.endpoint });
    const direct = new Mapper({ transport: url, direct: true, logger: quietLogger });
    await direct.start();
    try {
      await direct.waitForAgents({ route: '/simple/echo', timeout: 2_000 });
      expect(await direct.request('/simple/echo')).toBe('hello nanite');
    } finally {
      await direct.close();
    }
    const req = new SpReqSocket();
    req.dial(a.endpoint!);
    try {
      expect(JSON.parse(String(await req.request(Buffer.from('{"route":"/simple/echo"}'), { timeout: 5_000 })))).toEqual({ ok: true, result: 'hello nanite' });
    } finally {
      await req.close();
    }
  });

  it('on SIGTERM lets the in-flight request finish, unregisters and exits 0', async () => {
    const a = await start({ token: 'fred' });
    const pending = mapper!.request('/slow/wait', 300);
    await until(() => a.inFlight === 1, 2000, 'the request to be in flight');
    signals.emit('SIGTERM');
    await expect(pending).resolves.toEqual({ waited: 300, by: 'fred' });
    expect(await run).toBe(EXIT.OK);
    expect(signals.listening()).toBe(0);
    const messages = logLines().map((l) => l.msg);
    expect(messages).toEqual(expect.arrayContaining(['agent started', 'draining: finishing in-flight requests (signal again to force)', 'agent stopped']));
    expect(logLines().find((l) => l.msg === 'agent stopped')).toMatchObject({ handled: 1 });
    await until(() => mapper!.agents().length === 0, 2000, 'the agent to unregister');
  });

  it('exits 130 at once on a second signal during the drain', async () => {
    const a = await start({ drainTimeout: 200 });
    void mapper!.request('/slow/wait', 5000).catch(() => undefined); // aborted by the drain timeout; not what this test checks
    await until(() => a.inFlight === 1, 2000, 'the request to be in flight');
    signals.emit('SIGINT');
    signals.emit('SIGINT');
    expect(await run).toBe(EXIT.INTERRUPTED);
    expect(logLines().map((l) => l.msg)).toContain('second signal: exiting without finishing the drain');
  });

  it('exits 130 on a signal while connecting, and the interrupted start never registers nor serves', async () => {
    let started = false;
    run = runAgent({ url, token: 'early', actors: [simple], logFormat: 'json', onStarted: () => (started = true) }, io, signals);
    signals.emit('SIGTERM'); // before the actor modules are even loaded: the connection is still ahead
    expect(await run).toBe(EXIT.INTERRUPTED);
    expect(started).toBe(false);
    expect(signals.listening()).toBe(0);
    const messages = logLines().map((l) => l.msg);
    expect(messages).toContain('stopped before the agent could connect');
    expect(messages).not.toContain('the interrupted start is still being torn down');
    // A mapper that joins afterwards finds nobody: the agent's start was torn down, not left running.
    mapper = new Mapper({ transport: url, logger: quietLogger });
    await mapper.start();
    await expect(mapper.waitForAgents({ route: '/simple/echo', timeout: 300 })).rejects.toMatchObject({ code: 'NANITE_ERR_TIMEOUT' });
    await expect(mapper.request('/simple/echo', 'hi')).rejects.toMatchObject({ code: 'NANITE_ERR_NO_AGENT' });
  });

  it('logs pretty lines when asked', async () => {
    await start({ token: 'pretty-one', logFormat: 'pretty' });
    expect(io.stdout.text).toMatch(/INFO.*\(nanite-agent\/.*agent started/s);
    expect(io.stdout.text).toContain('identity: "pretty-one"');
  });

  it('--agent-version reaches the mappers: the roster and the agent views carry it; a bad one exits 2', async () => {
    await start({ token: 'versioned', agentVersion: '2.4.1', pingInterval: 100 });
    const [view] = await mapper!.waitForAgents({ route: '/simple/echo' });
    expect(view).toMatchObject({ identity: 'versioned', version: '2.4.1' });
    await until(() => mapper!.roster().some((a) => a.identity === 'versioned' && a.version === '2.4.1'), 5_000, 'the version in the roster');
    const bad = testIo();
    expect(await runAgent({ url, actors: [simple], agentVersion: 'v\u0007' }, bad, new FakeSignals())).toBe(EXIT.USAGE);
    expect(bad.stderr.text).toMatch(/^NANITE_ERR_INVALID_ARGUMENT: version must be a non-empty string of at most 128 printable ASCII characters/);
  });

  it('exits 2 with a clear message for a module that exports no actor', async () => {
    const code = await runAgent({ url, actors: [join(fixtures, 'none.js')] }, io, signals);
    expect(code).toBe(EXIT.USAGE);
    expect(io.stderr.text).toMatch(/^NANITE_ERR_INVALID_ARGUMENT: .*none\.js exports no actor/);
    expect(signals.listening()).toBe(0);
  });

  it('exits 2 when two modules serve the same route', async () => {
    const code = await runAgent({ url, actors: [simple, simple] }, io, signals);
    expect(code).toBe(EXIT.USAGE);
    expect(io.stderr.text).toMatch(/^NANITE_ERR_INVALID_ARGUMENT: Route \/simple\/echo is served twice/);
  });
});
