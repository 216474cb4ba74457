// Surveys and priority routing over the real broker (amqp://): fanout surveys reach agents the
// mapper never heard of, forged answers are dropped, and traffic follows the best live tier.
import * as amqp from 'amqplib';
import { Agent, Mapper, NaniteError, amqpNames, defineActor, type RequestContext, type SurveyAnswer } from '../src';
import { AMQP_URL, removeTopology, uniquePrefix } from './amqp.helpers';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
let prefix: string;
let url: string;
const agents: Agent[] = [];
const mappers: Mapper[] = [];

function agent(o: Partial<ConstructorParameters<typeof Agent>[0]>): Agent {
  const a = new Agent({ transport: url, logger: quiet, pingInterval: 500, ...o });
  agents.push(a);
  return a;
}
function mapper(o: Partial<ConstructorParameters<typeof Mapper>[0]> = {}): Mapper {
  const m = new Mapper({ transport: url, logger: quiet, ...o });
  mappers.push(m);
  return m;
}

beforeEach(() => {
  prefix = uniquePrefix('survey');
  url = `${AMQP_URL}?prefix=${prefix}`;
});

afterEach(async () => {
  for (const m of mappers.splice(0)) await m.close();
  for (const a of agents.splice(0)) await a.close();
  await removeTopology([prefix]);
});

test('a survey over amqp:// reaches every agent by fanout (answers and errors), drops a forged answer, ends at the deadline', async () => {
  const who = defineActor('discovery', {
    who: (service: unknown, ctx: RequestContext) => ({ agent: ctx.agent, service }),
    broken: () => { throw new NaniteError('NANITE_ERR_HANDLER', { message: 'broken here' }); },
  });
  await agent({ identity: 'svc-a', actors: [who] }).start();
  await agent({ identity: 'svc-b', actors: [who] }).start();
  const m = mapper();
  await m.start();
  // Straight after start: the registry may not know them; the fanout reaches them anyway.
  const answers: SurveyAnswer[] = [];
  const run = m.survey('/discovery/who', 'billing', { timeout: 3_000 });
  // A hostile peer answers to the mapper's reply route with a made-up survey id.
  const conn = await amqp.connect(AMQP_URL);
  try {
    const ch = await conn.createChannel();
    ch.publish(amqpNames(prefix).reply, m.identity, Buffer.from(JSON.stringify({ v: 1, type: 'answer', id: 'forged-id', from: 'evil', ok: true, result: 'x' })));
    await ch.close();
  } finally {
    await conn.close();
  }
  for await (const a of run) answers.push(a);
  expect(answers.map((a) => a.agent).sort()).toEqual(['svc-a', 'svc-b']);
  expect(answers.find((a) => a.agent === 'svc-a')).toMatchObject({ ok: true, result: { agent: 'svc-a', service: 'billing' }, via: 'broker' });
  expect(m.stats.answersDropped).toBe(1);
  const errors = await m.survey('/discovery/broken', null, { deadline: Date.now() + 2_000 }).collect();
  expect(errors).toHaveLength(2);
  for (const e of errors) expect(e).toMatchObject({ ok: false, error: { code: 'NANITE_ERR_HANDLER', message: 'broken here' } });
}, 30_000);

test('priority over amqp://: traffic stays on tier 1, moves to tier 2 when it stops (no failed request), returns when it restarts', async () => {
  const slots = (i: { inFlight: number; queued: number; concurrency: number }) => (i.inFlight + i.queued) / i.concurrency;
  const work = () => defineActor('work', { run: { handler: (_p: unknown, ctx: RequestContext) => ctx.agent, idempotent: true } });
  const tier1 = agent({ identity: 'tier1', priority: 1, status: slots, actors: [work()] });
  await tier1.start();
  await agent({ identity: 'tier2', priority: 2, status: slots, actors: [work()] }).start();
  const m = mapper({ selector: 'priority' });
  await m.start();
  await m.waitForAgents({ count: 2, timeout: 10_000 });
  const served: string[] = [];
  const failures: unknown[] = [];
  let running = true;
  const load = (async () => {
    while (running && failures.length < 10) {
      const batch = await Promise.allSettled(Array.from({ length: 4 }, () => m.call<string>('/work/run', null, { timeout: 10_000 })));
      for (const r of batch) if (r.status === 'fulfilled') served.push(r.value.agent); else failures.push(r.reason);
    }
  })();
  const until = async (n: number) => {
    const want = served.length + n;
    while (served.length < want && failures.length === 0) await new Promise((r) => setTimeout(r, 10));
    expect(failures).toEqual([]);
  };
  try {
    await until(40);
    expect(new Set(served)).toEqual(new Set(['tier1']));
    await tier1.close();
    const stopped = served.length;
    await until(40);
    // In-flight batches at the stop may still end on tier1; everything after goes to tier2.
    expect(served.slice(stopped + 8).every((a) => a === 'tier2')).toBe(true);
    await agent({ identity: 'tier1', priority: 1, status: slots, actors: [work()] }).start();
    await m.waitForAgents({ count: 2, timeout: 10_000 });
    const restarted = served.length;
    await until(40);
    expect(served.slice(restarted + 8).every((a) => a === 'tier1')).toBe(true);
  } finally {
    running = false;
    await load;
  }
  expect(failures).toEqual([]);
}, 60_000);
