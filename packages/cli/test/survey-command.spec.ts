import { Agent, defineActor, NaniteError } from '@nanite/core';
import { EXIT, main, runSurvey } from '../src';
import { memoryUrl, quietLogger, testIo } from './helpers';

describe('nanite survey (memory://)', () => {
  let url: string;
  const agents: Agent[] = [];
  const who = defineActor('discovery', {
    who: (service: unknown, ctx) => ({ service, address: `tcp://${ctx.agent}:9000` }),
    flaky: (_p: unknown, ctx) => {
      if (ctx.agent === 'bob') throw new NaniteError('NANITE_ERR_HANDLER', { message: 'bob is out', data: { code: 'E_OUT' } });
      return 'fine';
    },
  });

  beforeEach(async () => {
    url = memoryUrl();
    for (const identity of ['fred', 'bob']) {
      const a = new Agent({ transport: url, identity, actors: [who], logger: quietLogger });
      await a.start();
      agents.push(a);
    }
  });
  afterEach(async () => {
    for (const a of agents.splice(0)) await a.close();
  });

  it('prints one JSON line per answer when piped, exit 0', async () => {
    const io = testIo();
    expect(await runSurvey({ url, route: '/discovery/who', payload: 'billing', deadline: 200 }, io)).toBe(EXIT.OK);
    const lines = io.stdout.text.trim().split('\n').map((l) => JSON.parse(l) as { agent: string });
    expect(lines.sort((a, b) => a.agent.localeCompare(b.agent))).toEqual([
      { agent: 'bob', ok: true, result: { service: 'billing', address: 'tcp://bob:9000' } },
      { agent: 'fred', ok: true, result: { service: 'billing', address: 'tcp://fred:9000' } },
    ]);
    expect(io.stderr.text).toBe('');
  });

  it('prints "agent: result" on a terminal; an error answer makes exit 6', async () => {
    const io = testIo({ tty: true });
    expect(await runSurvey({ url, route: '/discovery/flaky', deadline: 200 }, io)).toBe(EXIT.PARTIAL);
    expect(io.stdout.text).toContain('fred: "fine"\n');
    expect(io.stdout.text).toContain('bob: NANITE_ERR_HANDLER: bob is out\n  details: {"code":"E_OUT"}\n');
    const piped = testIo();
    await runSurvey({ url, route: '/discovery/flaky', deadline: 200 }, piped);
    expect(piped.stdout.text).toContain('{"agent":"bob","ok":false,"error":{"code":"NANITE_ERR_HANDLER","message":"bob is out","data":{"code":"E_OUT"}}}');
  });

  it('exit 3 when nobody answers before the deadline; exit 2 on a bad route', async () => {
    const io = testIo();
    expect(await runSurvey({ url, route: '/nobody/home', deadline: 100 }, io)).toBe(EXIT.NO_AGENT);
    expect(io.stdout.text).toBe('');
    expect(io.stderr.text).toBe('no agent answered /nobody/home within 100 ms\n');
    expect(await runSurvey({ url, route: 'nope', deadline: 100 }, testIo())).toBe(EXIT.USAGE);
  });

  it('--deadline 0 is a usage error (exit 2) like any bad duration: the survey would hear nobody', async () => {
    for (const deadline of ['0', '0ms', '0s']) {
      const io = testIo();
      expect(await main(['node', 'nanite', 'survey', '/discovery/who', '--url', url, '--deadline', deadline], io)).toBe(EXIT.USAGE);
      expect(io.stderr.text).toContain(`error: option '--deadline <duration>' argument '${deadline}' is invalid. expected a duration above 0`);
      expect(io.stdout.text).toBe('');
    }
    const fromCode = testIo();
    expect(await runSurvey({ url, route: '/discovery/who', deadline: 0 }, fromCode)).toBe(EXIT.USAGE);
    expect(fromCode.stderr.text).toMatch(/^NANITE_ERR_INVALID_ARGUMENT: --deadline 0: /);
  });
});
