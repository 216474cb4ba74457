/** request, push and agents run in-process against memory:// agents; their output and exit statuses. */
import { Agent, defineActor } from '@nanite/core';
import { EXIT, runAgents, runPush, runRequest } from '../src';
import { memoryUrl, quietLogger, testIo, simpleActor, until } from './helpers';


describe('request, push and agents (memory://)', () => {
  let url: string;
  const agents: Agent[] = [];
  const pushed: unknown[] = [];

  const startAgent = async (identity: string, tags: string[] = []): Promise<Agent> => {
    const agent = new Agent({
      transport: url,
      identity,
      tags,
      logger: quietLogger,
      actors: [
        simpleActor(),
        defineActor('slow', {
          wait: (ms: unknown, ctx) =>
            new Promise((resolve, reject) => {
              const timer = setTimeout(() => resolve(`${identity} waited`), Number(ms));
              ctx.signal.addEventListener('abort', () => {
                clearTimeout(timer);
                reject(ctx.signal.reason);
              }, { once: true });
            }),
        }),
        defineActor('box', {
          fail: () => {
            throw Object.assign(new Error('the reactor is out of coolant'), { code: 'E_COOLANT' });
          },
          record: (p: unknown) => {
            pushed.push([identity, p]);
          },
          steps: (n: unknown, ctx) => {
            for (let i = 1; i <= Number(n); i++) ctx.progress('step', i);
            return 'done';
          },
          who: () => identity,
        }),
      ],
    });
    agents.push(agent);
    await agent.start();
    return agent;
  };

  beforeEach(() => {
    url = memoryUrl();
    pushed.length = 0;
  });

  afterEach(async () => {
    for (const a of agents.splice(0)) await a.stop();
  });

  describe('request', () => {
    it('prints the result as JSON and exits 0', async () => {
      await startAgent('fred');
      const io = testIo();
      expect(await runRequest({ url, route: '/simple/echo' }, io)).toBe(EXIT.OK);
      expect(io.stdout.text).toBe('"hello nanite"\n');
      expect(io.stderr.text).toBe('');
    });

    it('sends PAYLOAD as JSON when it parses, as a string otherwise', async () => {
      await startAgent('fred');
      const io = testIo();
      await runRequest({ url, route: '/simple/echo', payload: '{"a":[1,2]}' }, io);
      await runRequest({ url, route: '/simple/echo', payload: 'hi there' }, io);
      await runRequest({ url, route: '/simple/echo', payload: '42', raw: true }, io);
      expect(io.stdout.text).toBe('{"a":[1,2]}\n"hi there"\n"42"\n');
    });

    it('indents the JSON on a terminal', async () => {
      await startAgent('fred');
      const io = testIo({ tty: true });
      await runRequest({ url, route: '/simple/echo', payload: '{"a":1}' }, io);
      expect(io.stdout.text).toBe('{\n  "a": 1\n}\n');
    });

    it('with --selector all, prints one result per agent keyed by identity', async () => {
      await startAgent('fred');
      await startAgent('bob');
      const io = testIo();
      expect(await runRequest({ url, route: '/box/who', selector: 'all', discovery: 20 }, io)).toBe(EXIT.OK);
      expect(JSON.parse(io.stdout.text)).toEqual({ bob: 'bob', fred: 'fred' });
    });

    it('with --selector all, shows failed agents as errors and exits 6', async () => {
      await startAgent('fred');
      await startAgent('bob');
      const io = testIo();
      expect(await runRequest({ url, route: '/box/fail', selector: 'all', discovery: 20 }, io)).toBe(EXIT.PARTIAL);
      const out = JSON.parse(io.stdout.text) as Record<string, { error: { code: string } }>;
      expect(out.fred!.error.code).toBe('NANITE_ERR_HANDLER');
      expect(out.bob!.error.code).toBe('NANITE_ERR_HANDLER');
      expect(io.stderr.text).toContain('bob: NANITE_ERR_HANDLER: the reactor is out of coolant');
      expect(io.stderr.text).toContain('fred: NANITE_ERR_HANDLER: the reactor is out of coolant');
    });

    it('honours --target and --tag', async () => {
      await startAgent('fred', ['eu']);
      await startAgent('bob', ['us']);
      const io = testIo();
      await runRequest({ url, route: '/box/who', target: 'bob' }, io);
      await runRequest({ url, route: '/box/who', tags: ['eu'] }, io);
      expect(io.stdout.text).toBe('"bob"\n"fred"\n');
    });

    it('prints progress on stderr with --progress', async () => {
      await startAgent('fred');
      const io = testIo();
      expect(await runRequest({ url, route: '/box/steps', payload: '2', progress: true }, io)).toBe(EXIT.OK);
      expect(io.stderr.text).toBe('progress fred step: 1\nprogress fred step: 2\n');
      expect(io.stdout.text).toBe('"done"\n');
    });

    it('exits 1 with CODE: message and the application details when the handler throws', async () => {
      await startAgent('fred');
      const io = testIo();
      expect(await runRequest({ url, route: '/box/fail' }, io)).toBe(EXIT.FAILURE);
      expect(io.stderr.text).toBe('NANITE_ERR_HANDLER: the reactor is out of coolant\n  details: {"code":"E_COOLANT"}\n');
      expect(io.stdout.text).toBe('');
    });

    it('exits 3 when no agent serves the route', async () => {
      await startAgent('fred');
      const io = testIo();
      expect(await runRequest({ url, route: '/nope/nothing' }, io)).toBe(EXIT.NO_AGENT);
      expect(io.stderr.text).toMatch(/^NANITE_ERR_NO_AGENT: No agent: no live agent serves \/nope\/nothing\n$/);
    });

    it('exits 3 when no agent runs at all', async () => {
      const io = testIo();
      expect(await runRequest({ url, route: '/simple/echo' }, io)).toBe(EXIT.NO_AGENT);
      expect(io.stderr.text).toMatch(/^NANITE_ERR_NO_AGENT: /);
    });

    it('exits 4 on timeout', async () => {
      await startAgent('fred');
      const io = testIo();
      expect(await runRequest({ url, route: '/slow/wait', payload: '5000', timeout: 50 }, io)).toBe(EXIT.TIMEOUT);
      expect(io.stderr.text).toMatch(/^NANITE_ERR_TIMEOUT: \/slow\/wait (did not answer within 50 ms|exceeded its \d+ ms deadline)\n$/);
    });

    it('exits 2 on a malformed payload without connecting', async () => {
      const io = testIo();
      expect(await runRequest({ url: 'amqp://never-used.invalid', route: '/simple/echo', payload: '{"a":' }, io)).toBe(EXIT.USAGE);
      expect(io.stderr.text).toMatch(/^NANITE_ERR_INVALID_ARGUMENT: Malformed payload: \{"a": looks like JSON but does not parse/);
    });

    it('exits 2 on a route that is not /actor/method', async () => {
      const io = testIo();
      expect(await runRequest({ url, route: 'simple/echo' }, io)).toBe(EXIT.USAGE);
      expect(io.stderr.text).toMatch(/"simple\/echo" is not a route: routes look like \/actor\/method/);
    });

    it.each([
      ['nats://localhost:4222', /^NANITE_ERR_UNSUPPORTED_TRANSPORT: No transport for "nats:\/\/"/],
      ['not a url', /^NANITE_ERR_INVALID_ARGUMENT: "not a url" is not a valid transport URL/],
      ['amqp://guest:hunter2@bad host:5672', /^NANITE_ERR_INVALID_ARGUMENT: "amqp:\/\/bad host:5672" is not a valid transport URL/],
    ])('exits 2 on a bad URL (%s)', async (bad, message) => {
      const io = testIo();
      expect(await runRequest({ url: bad, route: '/simple/echo' }, io)).toBe(EXIT.USAGE);
      expect(io.stderr.text).toMatch(message);
      expect(io.stderr.text + io.stdout.text).not.toContain('hunter2');
    });
  });

  describe('push', () => {
    it('delivers the payload and exits 0, printing nothing', async () => {
      const agent = await startAgent('fred');
      const io = testIo();
      expect(await runPush({ url, route: '/box/record', payload: '{"n":1}' }, io)).toBe(EXIT.OK);
      expect(io.stdout.text).toBe('');
      // A push is not awaited by the CLI: wait for the agent to have handled it.
      await until(() => agent.stats.handled >= 1, 2000, 'the push to be handled');
      expect(pushed).toEqual([['fred', { n: 1 }]]);
    });

    it('reaches every agent with --selector all', async () => {
      const fred = await startAgent('fred');
      const bob = await startAgent('bob');
      expect(await runPush({ url, route: '/box/record', payload: 'x', selector: 'all', discovery: 20 }, testIo())).toBe(EXIT.OK);
      await until(() => fred.stats.handled + bob.stats.handled >= 2, 2000, 'both pushes to be handled');
      expect(pushed.map((p) => (p as [string])[0]).sort()).toEqual(['bob', 'fred']);
    });

    it('exits 3 when no agent serves the route', async () => {
      await startAgent('fred');
      const io = testIo();
      expect(await runPush({ url, route: '/nope/nothing', discovery: 50 }, io)).toBe(EXIT.NO_AGENT);
      expect(io.stderr.text).toMatch(/^NANITE_ERR_NO_AGENT: /);
    });
  });

  describe('agents', () => {
    it('prints JSON when not on a terminal', async () => {
      await startAgent('fred', ['eu']);
      await startAgent('bob');
      const io = testIo();
      expect(await runAgents({ url, wait: 20 }, io)).toBe(EXIT.OK);
      const list = JSON.parse(io.stdout.text) as Array<{ identity: string; routes: string[]; tags: string[] }>;
      expect(list.map((a) => a.identity)).toEqual(['bob', 'fred']);
      expect(list[1]!.tags).toEqual(['eu']);
      expect(list[1]!.routes).toContain('/simple/echo');
    });

    it('prints a table on a terminal, JSON with --json', async () => {
      await startAgent('fred');
      const tty = testIo({ tty: true });
      await runAgents({ url, wait: 20 }, tty);
      expect(tty.stdout.text).toMatch(/^IDENTITY\s+STATUS\s+IN-FLIGHT\s+ROUTES\s+TAGS\s+LAST SEEN\nfred\s+/);
      const json = testIo({ tty: true });
      await runAgents({ url, wait: 20, json: true }, json);
      expect(JSON.parse(json.stdout.text)).toHaveLength(1);
    });

    it('says "No agents." on an empty cluster', async () => {
      const io = testIo({ tty: true });
      expect(await runAgents({ url, wait: 0 }, io)).toBe(EXIT.OK);
      expect(io.stdout.text).toBe('No agents.\n');
    });
  });
});
