/** `nanite mapper`: the console fed by a script on stdin, and the monitor mode. */
import { Agent } from '@nanite/core';
import { EXIT, consoleScope, runMapper } from '../src';
import { FakeSignals, memoryUrl, quietLogger, testIo, until, simpleActor } from './helpers';


describe('nanite mapper', () => {
  let url: string;
  const agents: Agent[] = [];

  const startAgent = async (identity: string): Promise<Agent> => {
    const agent = new Agent({ transport: url, identity, actors: [simpleActor()], logger: quietLogger });
    agents.push(agent);
    await agent.start();
    return agent;
  };

  beforeEach(() => {
    url = memoryUrl();
  });

  afterEach(async () => {
    for (const a of agents.splice(0)) await a.stop();
  });

  describe('-i (console)', () => {
    it('runs a piped script line by line with request, push, agents and mapper in scope, then exits 0', async () => {
      await startAgent('fred');
      await startAgent('bob');
      const io = testIo();
      const run = runMapper({ url, interactive: true, discovery: 20 }, io);
      io.stdin.end(
        [
          "const r = await request('/simple/echo', 'hi')",
          "r + '!'",
          "await request('/simple/echo', undefined, { target: 'bob' })",
          "Object.keys(await request('/simple/echo', 1, { selector: 'all' })).sort().join('+')",
          "await push('/simple/echo', 'pushed')",
          'agents().length',
          'typeof mapper.request',
          '.agents',
          "await request('/nope/nothing')",
          "'still alive'",
        ].join('\n') + '\n',
      );
      expect(await run).toBe(EXIT.OK);
      const out = io.stdout.text;
      expect(out).toMatch(/nanite console: mapper \S+ on memory:\/\/\S+, 2 agents live\n/);
      // Results appear in order: the awaited request finished before `r + '!'` ran.
      const expected = ["'hi!'", "'hello nanite'", "'bob+fred'", '2', "'function'", 'IDENTITY', 'NANITE_ERR_NO_AGENT', "'still alive'"];
      let at = 0;
      for (const piece of expected) {
        const found = out.indexOf(piece, at);
        expect({ piece, found: found >= 0 }).toEqual({ piece, found: true });
        at = found + piece.length;
      }
    });

    it('stops at .exit and closes the mapper', async () => {
      await startAgent('fred');
      const io = testIo();
      const run = runMapper({ url, interactive: true, discovery: 20 }, io);
      io.stdin.write("await request('/simple/echo', 'one')\n.exit\nawait request('/simple/echo', 'never')\n");
      expect(await run).toBe(EXIT.OK);
      expect(io.stdout.text).toContain("'one'");
      expect(io.stdout.text).not.toContain("'never'");
      io.stdin.end();
    });
  });

  it('consoleScope exposes the mapper and its calls', async () => {
    await startAgent('fred');
    const { Mapper } = await import('@nanite/core');
    const mapper = new Mapper({ transport: url, logger: quietLogger });
    await mapper.start();
    try {
      const scope = consoleScope(mapper);
      expect(scope.mapper).toBe(mapper);
      expect(await scope.request('/simple/echo', 'x')).toBe('x');
      expect(await scope.call('/simple/echo', 'y')).toMatchObject({ result: 'y', agent: 'fred' });
      expect(await scope.survey('/simple/echo', 'z', { timeout: 100 })).toEqual([{ agent: 'fred', ok: true, result: 'z', via: 'broker' }]);
      await scope.waitForAgents({ route: '/simple/echo' });
      expect(scope.agents().map((a) => a.identity)).toEqual(['fred']);
    } finally {
      await mapper.close();
    }
  });

  it('without -i, logs agents joining and leaving until a signal', async () => {
    const signals = new FakeSignals();
    const io = testIo();
    const run = runMapper({ url, logFormat: 'json' }, io, signals);
    await until(() => io.stdout.text.includes('mapper started'), 2000, 'the mapper to start');
    const fred = await startAgent('fred');
    await until(() => io.stdout.text.includes('agent up'), 2000, 'agent up');
    await fred.stop();
    await until(() => io.stdout.text.includes('agent down'), 2000, 'agent down');
    signals.emit('SIGINT');
    expect(await run).toBe(EXIT.OK);
    expect(signals.listening()).toBe(0);
    const lines = io.stdout.text.trim().split('\n').map((l) => JSON.parse(l) as { msg: string; agent?: string; reason?: string });
    expect(lines.find((l) => l.msg === 'agent up')).toMatchObject({ agent: 'fred' });
    expect(lines.find((l) => l.msg === 'agent down')).toMatchObject({ agent: 'fred', reason: 'unregistered' });
  });
});
