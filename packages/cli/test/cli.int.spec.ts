/**
 * The real `nanite` binary against the real broker: the original walk-through (fred and bob),
 * failures and their exit statuses, a graceful drain on SIGTERM, push, and the console.
 * Each test gets its own exchange/queue prefix so suites running in parallel do not meet.
 */
import { join } from 'node:path';
import { AMQP_URL } from './broker';
import { useBrokerBed } from './broker-bed';
import { eventually, type CliProcess } from './spawn';

// Spawning several processes per test on a shared, busy machine takes seconds; the integration
// project's testTimeout in jest.config.js is not applied (jest reads testTimeout globally only).
jest.setTimeout(60_000);

const SIMPLE = join('examples', 'simple-agent', 'simple.js');
const SLOW = join('packages', 'cli', 'test', 'fixtures', 'slow.js');
/** Every route a test here serves or asks for: their park queues are removed after each test. */
const ROUTES = ['/simple/echo', '/simple/nope', '/slow/wait', '/slow/fail'];

describe('nanite (binary, RabbitMQ)', () => {
  const bed = useBrokerBed(ROUTES);
  const agent = (token: string, actors: string[] = [SIMPLE], extra: string[] = []): Promise<CliProcess> =>
    bed.agent(token, actors, extra, { NANITE_TEST_MARKERS: '1' });

  it('runs the walk-through: fred and bob answer, --selector all hears both, and requests still succeed after one is killed', async () => {
    const fred = await agent('fred');
    await agent('bob');

    const hello = await bed.cli.run(['request', '/simple/echo', '--url', bed.url]);
    expect(hello).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(hello.stdout)).toBe('hello nanite');

    const all = await bed.cli.run(['request', '/simple/echo', 'hi', '--selector', 'all', '--url', bed.url]);
    expect(all.code).toBe(0);
    expect(JSON.parse(all.stdout)).toEqual({ bob: 'hi', fred: 'hi' });

    const listed = await bed.cli.run(['agents', '--json', '--url', bed.url]);
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as Array<{ identity: string; routes: string[] }>).map((a) => [a.identity, a.routes])).toEqual([
      ['bob', ['/simple/echo']],
      ['fred', ['/simple/echo']],
    ]);

    fred.child.kill('SIGKILL');
    await fred.exited;
    for (let i = 0; i < 3; i++) {
      const after = await bed.cli.run(['request', '/simple/echo', `{"try":${i}}`, '--url', bed.url]);
      expect({ code: after.code, out: after.stdout, err: after.stderr }).toEqual({ code: 0, out: `{"try":${i}}\n`, err: '' });
    }
    const allAfter = await bed.cli.run(['request', '/simple/echo', 'again', '--selector', 'all', '--url', bed.url]);
    expect(allAfter.code).toBe(0);
    expect(JSON.parse(allAfter.stdout)).toEqual({ bob: 'again' });
  });

  it('keeps answering in one console session after an agent is killed (the original walk-through)', async () => {
    const fred = await agent('fred');
    await agent('bob');
    const shell = bed.cli.start(['mapper', '-i', '--url', bed.url]);
    const say = async (line: string, expected: string): Promise<void> => {
      shell.child.stdin!.write(`${line}\n`);
      await eventually(() => shell.stdout.includes(expected), `the console to print ${expected}`, 15_000, () => shell.stdout + shell.stderr);
    };
    await say("Object.keys(await request('/simple/echo', 1, { selector: 'all' })).sort().join('+')", "'bob+fred'");
    fred.child.kill('SIGKILL');
    await fred.exited;
    await say("(await Promise.all([1, 2, 3, 4, 5, 6].map((i) => request('/simple/echo', i)))).join('-')", "'1-2-3-4-5-6'");
    // fred's leg is either left out (already noticed gone) or fails at once (its queue is gone); bob answers.
    await say("Object.entries(await request('/simple/echo', 2, { selector: 'all' })).filter(([, o]) => o.ok).map(([a]) => a).join('+')", "'bob'");
    shell.child.stdin!.end();
    expect(await shell.exited).toEqual({ code: 0, signal: null });
  });

  it('on SIGTERM, lets the request in flight finish, then exits 0', async () => {
    const drainer = await agent('drainer', [SLOW]);
    const request = bed.cli.start(['request', '/slow/wait', '1500', '--url', bed.url]);
    await eventually(() => drainer.stderr.includes('slow:started drainer'), 'the request to reach the agent');
    drainer.child.kill('SIGTERM');
    expect(await request.exited).toEqual({ code: 0, signal: null });
    expect(JSON.parse(request.stdout)).toEqual({ waited: 1500, by: 'drainer' });
    expect(await drainer.exited).toEqual({ code: 0, signal: null });
    expect(drainer.stdout).toContain('"msg":"agent stopped"');
    expect(drainer.stdout).toMatch(/"msg":"draining: finishing in-flight requests/);
  });

  it('pushes to an agent without waiting for a result', async () => {
    const target = await agent('target', [SLOW]);
    const pushed = await bed.cli.run(['push', '/slow/wait', '0', '--url', bed.url]);
    expect(pushed).toEqual({ code: 0, stdout: '', stderr: '' });
    await eventually(() => target.stderr.includes('slow:started target'), 'the push to be handled');
  });

  describe('failures: a clear message and a distinct exit status', () => {
    it('exits 5 when the broker is unreachable', async () => {
      const r = await bed.cli.run(['request', '/simple/echo', '--url', 'amqp://guest:guest@127.0.0.1:1']);
      expect(r.code).toBe(5);
      expect(r.stderr).toMatch(/^NANITE_ERR_NOT_CONNECTED: .*127\.0\.0\.1:1.* is unreachable: connect ECONNREFUSED/);
      expect(r.stdout).toBe('');
    });

    it('exits 5 when the broker refuses the credentials, and hides the password', async () => {
      const bad = new URL(AMQP_URL);
      bad.password = 'definitely-wrong';
      const r = await bed.cli.run(['request', '/simple/echo', '--url', bad.toString()]);
      expect(r.code).toBe(5);
      expect(r.stderr).toMatch(/^NANITE_ERR_TRANSPORT_AUTH: /);
      expect(r.stderr).not.toContain('definitely-wrong');
    });

    it('exits 5 from an agent whose broker is unreachable', async () => {
      const r = await bed.cli.run(['agent', '--url', 'amqp://guest:guest@127.0.0.1:1', '--actors', SIMPLE]);
      expect(r.code).toBe(5);
      expect(r.stderr).toMatch(/^NANITE_ERR_NOT_CONNECTED: /);
    });

    it('exits 2 for a URL with an unsupported scheme', async () => {
      const r = await bed.cli.run(['request', '/simple/echo', '--url', 'http://127.0.0.1:5672']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^NANITE_ERR_UNSUPPORTED_TRANSPORT: No transport for "http:\/\/"/);
    });

    it('exits 2 without any URL, saying where one can come from', async () => {
      const r = await bed.cli.run(['request', '/simple/echo'], { env: { HOME: '/nonexistent' } });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^NANITE_ERR_INVALID_ARGUMENT: No transport URL\. Pass --url .*NANITE_URL.*\.naniterc\.json/);
    });

    it('exits 3 for a route no agent serves', async () => {
      await agent('fred');
      const r = await bed.cli.run(['request', '/simple/nope', '--url', bed.url]);
      expect(r.code).toBe(3);
      expect(r.stderr).toBe('NANITE_ERR_NO_AGENT: No agent: no live agent serves /simple/nope\n');
    });

    it('exits 3 when no agent runs at all', async () => {
      const r = await bed.cli.run(['request', '/simple/echo', '--url', bed.url]);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/^NANITE_ERR_NO_AGENT: /);
      const p = await bed.cli.run(['push', '/simple/echo', '--url', bed.url]);
      expect(p.code).toBe(3);
    });

    it('exits 2 for a malformed payload', async () => {
      await agent('fred');
      const r = await bed.cli.run(['request', '/simple/echo', '{"unterminated":', '--url', bed.url]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^NANITE_ERR_INVALID_ARGUMENT: Malformed payload: .* looks like JSON but does not parse .*--raw/);
    });

    it('exits 1 with the application error code when the handler throws', async () => {
      await agent('fred', [SLOW]);
      const r = await bed.cli.run(['request', '/slow/fail', '--url', bed.url]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe('NANITE_ERR_HANDLER: the reactor is out of coolant\n  details: {"code":"E_COOLANT"}\n');
    });

    it('exits 4 on timeout', async () => {
      await agent('fred', [SLOW]);
      const r = await bed.cli.run(['request', '/slow/wait', '5000', '--timeout', '300ms', '--url', bed.url]);
      expect(r.code).toBe(4);
      expect(r.stderr).toMatch(/^NANITE_ERR_TIMEOUT: \/slow\/wait (did not answer within 300 ms|exceeded its \d+ ms deadline)/);
    });

    it('exits 2 for an actor module that exports no actor', async () => {
      const r = await bed.cli.run(['agent', '--url', bed.url, '--actors', join('packages', 'cli', 'test', 'fixtures', 'none.js')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/none\.js exports no actor/);
    });
  });

  it('serves the Control Tower over the broker and closes on SIGTERM', async () => {
    await agent('fred');
    const admin = bed.cli.start(['admin', '--port', '0', '--url', bed.url]);
    await eventually(() => /Control Tower at (http:\/\/\S+\/)"/.test(admin.stdout) || admin.child.exitCode !== null, 'the Control Tower to listen');
    const page = /Control Tower at (http:\/\/\S+\/)"/.exec(admin.stdout)?.[1];
    expect(page).toBeDefined();
    let identities: string[] = [];
    for (let i = 0; i < 100 && identities.length === 0; i++) {
      const body = (await (await fetch(`${page}api/agents`)).json()) as { agents: Array<{ identity: string }> };
      identities = body.agents.map((a) => a.identity);
      if (identities.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(identities).toEqual(['fred']);
    admin.child.kill('SIGTERM');
    expect(await admin.exited).toEqual({ code: 0, signal: null });
  });

  it('runs a console script from stdin: request, fan-out, agents, push, then exits 0 at end of input', async () => {
    await agent('fred');
    await agent('bob');
    const script = [
      "const r = await request('/simple/echo', 'from the console')",
      'r.toUpperCase()',
      "const all = await request('/simple/echo', 1, { selector: 'all' })",
      'Object.keys(all).sort().join(",")',
      "await waitForAgents({ route: '/simple/echo', count: 2 }).then((a) => a.length)",
      "await push('/simple/echo', 'p')",
      '.agents',
      '.exit',
    ].join('\n');
    const r = await bed.cli.run(['mapper', '-i', '--url', bed.url], { stdin: `${script}\n` });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/nanite console: mapper \S+ on amqp:\/\/\S+, 2 agents live\n/);
    expect(r.stdout).toContain("'FROM THE CONSOLE'");
    expect(r.stdout).toContain("'bob,fred'");
    expect(r.stdout).toMatch(/nanite> 2\n/);
    expect(r.stdout).toMatch(/IDENTITY\s+STATUS\s+IN-FLIGHT\s+ROUTES\s+TAGS\s+LAST SEEN\nbob\s/);
    expect(r.stderr).toBe('');
  });
});
