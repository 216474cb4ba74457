import { NaniteError, defineActor, type AgentLink, type RequestContext, type SurveyAnswer, type SurveyPacket } from '../src';
import { TestCluster, closeCluster, deferred, flush } from './helpers';

let c: TestCluster;
beforeEach(() => { c = new TestCluster(); });
afterEach(() => closeCluster(c));

const discovery = (address: string) => defineActor('discovery', {
  who: (service: unknown, ctx: RequestContext) => (service === 'billing' ? { agent: ctx.agent, address } : undefined),
  fail: () => { throw new NaniteError('NANITE_ERR_HANDLER', { message: 'no can do' }); },
});

const byAgent = (answers: SurveyAnswer[]) => Object.fromEntries(answers.map((a) => [a.agent, a.ok ? a.result : a.error.code]));

test('reaches agents the mapper has not heard of yet and ends at the deadline', async () => {
  await c.agent({ identity: 'a', actors: [discovery('tcp://10.0.0.1:1')] }).start();
  await c.agent({ identity: 'b', actors: [discovery('tcp://10.0.0.2:1')] }).start();
  const m = c.mapper();
  await m.start();
  expect(m.agents()).toHaveLength(0); // its Advertise is not answered yet
  const started = Date.now();
  const answers = await m.survey('/discovery/who', 'billing', { timeout: 300 }).collect();
  expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  expect(byAgent(answers)).toEqual({ a: { agent: 'a', address: 'tcp://10.0.0.1:1' }, b: { agent: 'b', address: 'tcp://10.0.0.2:1' } });
  expect(answers.every((x) => x.via === 'broker')).toBe(true);
  expect(m.stats).toMatchObject({ surveys: 1, answers: 2, answersDropped: 0 });
});

test('a handler error is an answer; a silent agent is just absent; other routes and tags stay silent', async () => {
  const hang = deferred<void>();
  let aborted: unknown;
  const silent = defineActor('discovery', {
    who: async (_p: unknown, ctx: RequestContext) => {
      ctx.signal.addEventListener('abort', () => { aborted = ctx.signal.reason; hang.resolve(); });
      await hang.promise;
      return 'too late';
    },
    fail: () => 1,
  });
  await c.agent({ identity: 'ok', tags: ['eu'], actors: [discovery('x')] }).start();
  await c.agent({ identity: 'mute', tags: ['eu'], actors: [silent] }).start();
  await c.agent({ identity: 'us', tags: ['us'], actors: [discovery('y')] }).start();
  await c.agent({ identity: 'other', tags: ['eu'], actors: [defineActor('unrelated', { x: () => 1 })] }).start();
  const m = await c.startedMapper();
  const answers = await m.survey('/discovery/who', 'billing', { deadline: Date.now() + 300, tags: ['eu'] }).collect();
  expect(byAgent(answers)).toEqual({ ok: { agent: 'ok', address: 'x' } });
  await hang.promise;
  expect(aborted).toMatchObject({ code: 'NANITE_ERR_TIMEOUT' });
  const failed = await m.survey('/discovery/fail', null, { timeout: 200, tags: ['us'] }).collect();
  expect(failed).toHaveLength(1);
  expect(failed[0]).toMatchObject({ agent: 'us', ok: false });
  const err = (failed[0] as { error: NaniteError }).error;
  expect(err).toBeInstanceOf(NaniteError);
  expect(err).toMatchObject({ code: 'NANITE_ERR_HANDLER', message: 'no can do' });
});

test('breaking out of the loop ends the survey at once; a late answer is dropped and counted', async () => {
  const slow = deferred<void>();
  await c.agent({ identity: 'fast', actors: [defineActor('q', { ask: () => 'fast' })] }).start();
  await c.agent({ identity: 'slow', actors: [defineActor('q', { ask: async () => { await slow.promise; return 'slow'; } })] }).start();
  const m = await c.startedMapper();
  const started = Date.now();
  for await (const a of m.survey('/q/ask', null, { timeout: 60_000 })) {
    expect(a).toMatchObject({ agent: 'fast', ok: true, result: 'fast' });
    break;
  }
  expect(Date.now() - started).toBeLessThan(30_000);
  slow.resolve();
  await flush(50);
  expect(m.stats).toMatchObject({ surveys: 1, answers: 1, answersDropped: 1 });
});

test('signal and mapper close end a survey; bad options fail with NANITE_ERR_INVALID_ARGUMENT', async () => {
  const m = await c.startedMapper();
  const ac = new AbortController();
  const run = m.survey('/q/ask', null, { timeout: 60_000, signal: ac.signal });
  const collected = run.collect();
  ac.abort();
  await expect(collected).resolves.toEqual([]);
  expect(run.done).toBe(true);
  const open = m.survey('/q/ask', null, { timeout: 60_000 }).collect();
  await m.close();
  await expect(open).resolves.toEqual([]);
  const m2 = await c.startedMapper();
  for (const bad of [{ timeout: -1 }, { deadline: Number.NaN }, { maxAnswers: 0 }, { tags: [''] }]) {
    expect(() => m2.survey('/q/ask', null, bad)).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT' }));
  }
  expect(() => m2.survey('no-slash')).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT' }));
  expect(() => m2.survey('/q/ask', 10n)).toThrow(expect.objectContaining({ code: 'NANITE_ERR_PAYLOAD' }));
});

test('answers are matched by survey id: forged, duplicated and excess answers are dropped and counted', async () => {
  const m = await c.startedMapper();
  // A raw peer on the bus: it sees the survey broadcast and answers as it likes.
  const surveys: SurveyPacket[] = [];
  const t = c.transport();
  await t.connect();
  const peer: AgentLink = await t.openAgent('peer', { onPacket: (p, settle) => { if ((p as SurveyPacket).type === 'survey') surveys.push(p as SurveyPacket); settle(); }, onMalformed: () => undefined }, { prefetch: 1 });
  try {
    const run = m.survey('/q/ask', null, { timeout: 60_000, maxAnswers: 2 });
    await flush();
    expect(surveys).toHaveLength(1);
    const id = surveys[0]!.id;
    expect(id.length).toBeGreaterThanOrEqual(16);
    peer.reply(m.identity, { v: 1, type: 'answer', id: 'guessed', from: 'x', ok: true, result: 'forged' });
    peer.reply(m.identity, { v: 1, type: 'answer', id, from: 'x', ok: true, result: 1 });
    peer.reply(m.identity, { v: 1, type: 'answer', id, from: 'x', ok: true, result: 2 });
    peer.reply(m.identity, { v: 1, type: 'answer', id, from: 'y', ok: false, error: { code: 'NANITE_ERR_FROM_THE_FUTURE' as 'NANITE_ERR_HANDLER', message: 'new', retryable: false } });
    peer.reply(m.identity, { v: 1, type: 'answer', id, from: 'z', ok: true, result: 3 });
    peer.reply(m.identity, { v: 1, type: 'answer', id: 7, from: 'z', ok: true } as never);
    await flush();
    run.close();
    const answers = await run.collect();
    expect(answers.map((a) => a.agent)).toEqual(['x', 'y']);
    expect(answers[1]).toMatchObject({ ok: false, error: { code: 'NANITE_ERR_HANDLER', data: { remoteCode: 'NANITE_ERR_FROM_THE_FUTURE' } } });
    expect(m.stats).toMatchObject({ answersDropped: 3, malformed: 1 });
  } finally {
    await peer.close();
    await t.close();
  }
});

test('an agent answers at most maxSurveys surveys at once and counts the rest', async () => {
  const gate = deferred<void>();
  const agent = c.agent({ identity: 'a', maxSurveys: 2, actors: [defineActor('q', { ask: async () => { await gate.promise; return 1; } })] });
  await agent.start();
  const m = await c.startedMapper();
  const runs = [1, 2, 3].map(() => m.survey('/q/ask', null, { timeout: 60_000 }));
  await flush();
  expect(agent.stats).toMatchObject({ surveysDropped: 1, surveysAnswered: 0 });
  runs[2]!.close();
  gate.resolve();
  const firsts = await Promise.all(runs.slice(0, 2).map(async (r) => { for await (const a of r) { r.close(); return a.agent; } return undefined; }));
  expect(firsts).toEqual(['a', 'a']);
  expect(agent.stats).toMatchObject({ surveysDropped: 1, surveysAnswered: 2 });
  for (const r of runs) r.close();
  expect(() => c.agent({ maxSurveys: 0 })).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT' }));
});

test('a fractional deadline works; a handler that ignores its signal frees its survey slot at the deadline', async () => {
  const never = new Promise<never>(() => undefined);
  let calls = 0;
  const agent = c.agent({ identity: 'a', maxSurveys: 1, actors: [defineActor('q', { stuck: () => { calls++; return never; }, ask: () => 'ok' })] });
  await agent.start();
  const m = await c.startedMapper();
  await expect(m.survey('/q/stuck', null, { deadline: Date.now() + 100.5 }).collect()).resolves.toEqual([]);
  expect(calls).toBe(1);
  expect(agent.stats.malformed).toBe(0);
  // The agent's own deadline timer (due within 1 ms of the mapper's) fires before this later one.
  await new Promise((r) => setTimeout(r, 20));
  const answers = await m.survey('/q/ask', null, { timeout: 200 }).collect();
  expect(answers).toMatchObject([{ agent: 'a', ok: true, result: 'ok' }]);
  expect(agent.stats).toMatchObject({ surveysDropped: 0, surveysAnswered: 1 });
});

test('two next() calls made before either settled each get their own answer, in order; the rest end when the survey does', async () => {
  await c.agent({ identity: 'a', actors: [discovery('x')] }).start();
  await c.agent({ identity: 'b', actors: [discovery('y')] }).start();
  const m = await c.startedMapper();
  const it = m.survey('/discovery/who', 'billing', { timeout: 300 })[Symbol.asyncIterator]();
  const reads = [it.next(), it.next(), it.next()]; // what Promise.all over an iterator does
  const [first, second, third] = await Promise.all(reads);
  expect(new Set([first.value?.agent, second.value?.agent])).toEqual(new Set(['a', 'b']));
  expect(third).toEqual({ value: undefined, done: true });
});

test('surveying a route whose handler streams answers NANITE_ERR_STREAM and closes the stream (it answered {} and left a Readable open)', async () => {
  const { Readable } = await import('node:stream');
  const opened: InstanceType<typeof Readable>[] = [];
  await c.agent({ identity: 'a', actors: [defineActor('s', {
    gen: async function* () { yield 1; },
    file: () => {
      const r = new Readable({ read() { this.push('x'); } });
      opened.push(r);
      return r;
    },
  })] }).start();
  const m = await c.startedMapper();
  for (const route of ['/s/gen', '/s/file']) {
    const answers = await m.survey(route, null, { timeout: 200 }).collect();
    expect(answers).toHaveLength(1);
    expect(answers[0]).toMatchObject({ agent: 'a', ok: false, error: { code: 'NANITE_ERR_STREAM' } });
  }
  expect(opened[0]!.destroyed).toBe(true);
});
