/** mapper.survey() over SP SURVEYOR/RESPONDENT: explicit endpoints (any SP respondent), deduplication with the broker path, silence. */
import { SpRespondentSocket, defineActor, type AgentLink, type RegisterPacket, type SpSocket, type SurveyAnswer, type SurveyPacket } from '../src';
import { TestCluster, closeCluster } from './helpers';
import { freePort } from './sp-tools';

let c: TestCluster;
const sockets: SpSocket[] = [];
beforeEach(() => { c = new TestCluster(); });
afterEach(async () => {
  await closeCluster(c);
  await Promise.all(sockets.splice(0).map((s) => s.close()));
});

/** An SP respondent standing in for a listening agent's endpoint: it answers with the documented JSON. */
async function respondent(answer: (q: { route: string; payload: unknown }) => unknown): Promise<string> {
  const r = new SpRespondentSocket({ logger: c.logger, handler: (req) => Buffer.from(typeof answer === 'function' ? String(answer(JSON.parse(String(req.body)) as { route: string; payload: unknown })) : '') });
  sockets.push(r);
  const { url } = await r.listen('tcp://127.0.0.1:0');
  return url;
}

const byAgent = (answers: SurveyAnswer[]) => Object.fromEntries(answers.map((a) => [a.agent, { via: a.via, ...(a.ok ? { result: a.result } : { code: a.error.code }) }]));

test('collects answers from SP respondents, turns garbage into an error answer, ignores an endpoint nobody listens on', async () => {
  const good = await respondent((q) => JSON.stringify({ ok: true, result: { route: q.route, payload: q.payload, address: 'tcp://10.0.0.9:7000' } }));
  const failing = await respondent(() => JSON.stringify({ ok: false, error: { code: 'NANITE_ERR_UNKNOWN_ROUTE', message: 'not here' } }));
  const garbage = await respondent(() => 'not json');
  const nobody = `tcp://127.0.0.1:${await freePort()}`;
  const m = await c.startedMapper();
  const started = Date.now();
  const answers = await m.survey('/discovery/who', 'billing', { timeout: 1_500, endpoints: [good, failing, garbage, nobody] }).collect();
  expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
  expect(byAgent(answers)).toEqual({
    [good]: { via: 'sp', result: { route: '/discovery/who', payload: 'billing', address: 'tcp://10.0.0.9:7000' } },
    [failing]: { via: 'sp', code: 'NANITE_ERR_UNKNOWN_ROUTE' },
    [garbage]: { via: 'sp', code: 'NANITE_ERR_MALFORMED_PACKET' },
  });
  expect(() => m.survey('/x/y', null, { endpoints: ['http://nope'] })).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT' }));
});

test('an agent answering on both paths (broker and its SP endpoint) is heard once', async () => {
  await c.agent({ identity: 'both', actors: [defineActor('discovery', { who: () => 'broker' })] }).start();
  const url = await respondent(() => JSON.stringify({ ok: true, result: 'sp' }));
  const m = await c.startedMapper();
  const answers = await m.survey('/discovery/who', null, { timeout: 1_000, endpoints: [{ url, agent: 'both' }] }).collect();
  expect(answers).toHaveLength(1);
  expect(answers[0]!.agent).toBe('both');
  expect(m.stats).toMatchObject({ answers: 1, answersDropped: 1 });
});

test('breaking out early closes the SP sockets of the survey', async () => {
  const url = await respondent(() => JSON.stringify({ ok: true, result: 1 }));
  const m = await c.startedMapper();
  const run = m.survey('/discovery/who', null, { timeout: 60_000, endpoints: [url] });
  for await (const a of run) {
    expect(a).toMatchObject({ agent: url, ok: true, result: 1, via: 'sp' });
    break;
  }
  expect(run.done).toBe(true);
  // jest --detectOpenHandles fails the run if the surveyor socket or its timers stayed open.
});

test('listening agents (Register endpoint) serving the route are surveyed over SP too, heard once; others and direct:false are not dialed', async () => {
  const asked: string[] = [];
  const spUrl = await respondent((q) => { asked.push(q.route); return JSON.stringify({ ok: true, result: 'over sp' }); });
  const otherUrl = await respondent((q) => { asked.push(`other ${q.route}`); return JSON.stringify({ ok: true, result: 'wrong' }); });
  // Stand-ins for agents started with `listen`: raw links that register an endpoint and answer broker surveys as well.
  const t = c.transport();
  await t.connect();
  const links: AgentLink[] = [];
  const listen = async (identity: string, route: string, endpoint: string) => {
    const link = await t.openAgent(identity, {
      onPacket: (p, settle) => {
        const s = p as SurveyPacket;
        if (s.type === 'survey' && s.route === route) link.reply(s.replyTo, { v: 1, type: 'answer', id: s.id, from: identity, ok: true, result: 'over broker' });
        settle();
      },
      onMalformed: () => undefined,
    }, { prefetch: 1 });
    links.push(link);
    link.broadcast({ v: 1, type: 'register', identity, routes: [{ route, idempotent: true }], tags: [], status: 0, concurrency: 1, pingInterval: 1000, endpoint } as RegisterPacket);
  };
  const m = await c.startedMapper();
  try {
    await listen('lst', '/discovery/who', spUrl);
    await listen('elsewhere', '/other/route', otherUrl);
    await m.waitForAgents({ count: 2, timeout: 5_000 });
    const answers = await m.survey('/discovery/who', null, { timeout: 1_500 }).collect();
    expect(answers.map((a) => a.agent)).toEqual(['lst']);
    expect(asked).toEqual(['/discovery/who']);
    expect(m.stats).toMatchObject({ answers: 1, answersDropped: 1 });
    await m.survey('/discovery/who', null, { timeout: 300, direct: false }).collect();
    expect(asked).toEqual(['/discovery/who']);
  } finally {
    for (const l of links) await l.close();
    await t.close();
  }
});

test('a listening agent advertising a bad endpoint costs only its SP answer, logged once per burst', async () => {
  const t = c.transport();
  await t.connect();
  const link = await t.openAgent('bad', {
    onPacket: (p, settle) => {
      const s = p as SurveyPacket;
      if (s.type === 'survey') link.reply(s.replyTo, { v: 1, type: 'answer', id: s.id, from: 'bad', ok: true, result: 'broker' });
      settle();
    },
    onMalformed: () => undefined,
  }, { prefetch: 1 });
  try {
    const m = await c.startedMapper();
    link.broadcast({ v: 1, type: 'register', identity: 'bad', routes: [{ route: '/d/w', idempotent: true }], tags: [], status: 0, concurrency: 1, pingInterval: 1000, endpoint: 'tcp://no-port' } as RegisterPacket);
    await m.waitForAgents({ count: 1, timeout: 5_000 });
    for (let i = 0; i < 2; i++) expect(await m.survey('/d/w', null, { timeout: 200 }).collect()).toMatchObject([{ agent: 'bad', result: 'broker', via: 'broker' }]);
    expect(c.logger.warnings().filter((w) => w.startsWith('survey: SP endpoints skipped'))).toHaveLength(1);
  } finally {
    await link.close();
    await t.close();
  }
});
