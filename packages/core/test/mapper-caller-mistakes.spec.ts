// What a careless caller passes to a mapper (options of the wrong type or range, a selector that
// chooses nobody or edits its candidates, a second agent under a name already taken) is refused at
// once with a typed error: never a hang, a synchronous TypeError, a stack overflow or a crash later.
import { Agent, Mapper, NaniteError, defineActor, type AgentOptions, type AgentView, type Logger, type MapperOptions, type MapperRequestOptions, type SelectorFunction } from '../src';
import { TestCluster, closeCluster, flush } from './helpers';

let c: TestCluster;
const actor = () => defineActor('svc', { who: (_p: unknown, ctx) => ctx.agent });

beforeEach(() => {
  c = new TestCluster();
});
afterEach(() => closeCluster(c));

async function cluster(ids = ['a', 'b']): Promise<Mapper> {
  for (const identity of ids) await c.agent({ identity, actors: [actor()] }).start();
  return c.startedMapper();
}

/** The error a call settled with; fails the test when the call threw synchronously or resolved. */
async function refusal(call: () => Promise<unknown>): Promise<NaniteError> {
  let settled: Promise<unknown>;
  try {
    settled = call();
  } catch (err) {
    throw new Error(`threw synchronously instead of rejecting: ${String(err)}`, { cause: err });
  }
  const outcome = await settled.then((v) => ({ v }), (e: unknown) => ({ e }));
  if (!('e' in outcome)) throw new Error(`resolved with ${JSON.stringify(outcome.v)}`);
  expect(outcome.e).toBeInstanceOf(NaniteError);
  return outcome.e as NaniteError;
}

describe('a selector that chooses none of the agents there are', () => {
  const none: SelectorFunction = () => [];

  test('fails a request, a call and a push at once with NANITE_ERR_NO_AGENT (it used to retry until the stack overflowed)', async () => {
    const m = await cluster();
    for (const call of [() => m.request('/svc/who', null, { selector: none }), () => m.call('/svc/who', null, { selector: none }), () => m.push('/svc/who', null, { selector: none })]) {
      expect(await refusal(call)).toMatchObject({ code: 'NANITE_ERR_NO_AGENT', data: { route: '/svc/who', candidates: 2, reason: 'selector-chose-none' } });
    }
    await expect(m.request('/svc/who', null)).resolves.toMatch(/^[ab]$/);
  });

  test('fails a fan-out the same way', async () => {
    const m = await cluster();
    const fanNone = { fanOut: true, select: () => [] as AgentView[] };
    expect(await refusal(() => m.request('/svc/who', null, { selector: fanNone }))).toMatchObject({ code: 'NANITE_ERR_NO_AGENT', data: { reason: 'selector-chose-none' } });
  });

  test('selector "target" without a target is refused as a mistake', async () => {
    const m = await cluster();
    expect(await refusal(() => m.request('/svc/who', null, { selector: 'target' }))).toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT', data: { option: 'selector' } });
    expect(await refusal(() => m.push('/svc/who', null, { selector: 'target' }))).toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT' });
    await expect(m.request('/svc/who', null, { selector: 'target', target: 'b' })).resolves.toBe('b');
  });
});

test('a selector whose choice throws when its identity is read fails the request with NANITE_ERR_SELECTOR', async () => {
  const m = await cluster();
  const trap = () => ({ get identity(): string { throw new Error('trap'); } }) as unknown as AgentView;
  expect(await refusal(() => m.request('/svc/who', null, { selector: trap }))).toMatchObject({ code: 'NANITE_ERR_SELECTOR', data: { reason: 'garbage' } });
  expect(m.stats.selectorFaults).toBe(1);
});

test('a selector that edits its candidate list in place takes no agent out of dispatch', async () => {
  const m = await cluster(['a', 'b', 'c']);
  const greedy: SelectorFunction = (candidates) => {
    try {
      const list = candidates as AgentView[];
      list.sort((x, y) => y.identity.localeCompare(x.identity));
      return list.pop();
    } catch {
      return candidates[0]; // frozen: the edit throws
    }
  };
  for (let i = 0; i < 5; i++) await m.request('/svc/who', null, { selector: greedy });
  const seen = new Set<string>();
  for (let i = 0; i < 30; i++) seen.add(await m.request<string>('/svc/who', null, { selector: 'round_robin' }));
  expect(seen).toEqual(new Set(['a', 'b', 'c']));
});

describe('request options of the wrong type or range', () => {
  test.each<[string, MapperRequestOptions]>([
    ['timeout NaN (used to mean no deadline at all)', { timeout: Number.NaN }],
    ['a negative timeout', { timeout: -1 }],
    ['timeout as a string (used to concatenate)', { timeout: '100' as unknown as number }],
    ['timeout Infinity', { timeout: Infinity }],
    ['a timeout past what Node timers hold', { timeout: 2 ** 31 }],
    ['deadline NaN', { deadline: Number.NaN }],
    ['a deadline 30 days ahead', { deadline: Date.now() + 30 * 86_400_000 }],
    ['tags as a string', { tags: 'eu' as unknown as string[] }],
    ['tags with a number', { tags: [1] as unknown as string[] }],
    ['an empty target', { target: '' }],
    ['a signal that is not one', { signal: {} as AbortSignal }],
    ['onProgress that is not a function', { onProgress: 'log' as unknown as () => void }],
    ['an unknown delivery', { delivery: 'twice' as 'at-most-once' }],
  ])('%s: NANITE_ERR_INVALID_ARGUMENT, rejected (not thrown), nothing left pending', async (_name, options) => {
    const m = await cluster();
    expect(await refusal(() => m.request('/svc/who', null, options))).toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT' });
    expect(m.stats.pending).toBe(0);
  });

  test('push checks its shared options too', async () => {
    const m = await cluster();
    expect(await refusal(() => m.push('/svc/who', null, { tags: 'eu' as unknown as string[] }))).toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT', data: { option: 'tags' } });
  });

  test('a request waiting for an agent with tags given as a string no longer crashes the mapper when an agent appears', async () => {
    const m = c.mapper({ discoveryWindow: 5_000 });
    await m.start();
    const err = await refusal(() => m.request('/svc/who', null, { tags: 'eu' as unknown as string[] }));
    expect(err.code).toBe('NANITE_ERR_INVALID_ARGUMENT');
    await c.agent({ identity: 'late', actors: [actor()] }).start();
    await flush();
    await expect(m.request('/svc/who', null)).resolves.toBe('late');
  });

  test('waitForAgents checks its timeout and count', async () => {
    const m = await cluster();
    await expect(m.waitForAgents({ timeout: Number.NaN })).rejects.toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT' });
    await expect(m.waitForAgents({ count: -1 })).rejects.toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT' });
  });

  test.each<[string, object]>([
    ['timeout', { timeout: Number.NaN }],
    ['reapInterval', { reapInterval: -5 }],
    ['drainTimeout', { drainTimeout: Infinity }],
    ['persistentTtl', { persistentTtl: '10' }],
    ['agentTimeout', { agentTimeout: Number.NaN }],
    ['maxHops', { maxHops: 1.5 }],
    ['maxAgents', { maxAgents: -1 }],
  ])('a mapper constructed with a bad %s throws NANITE_ERR_INVALID_ARGUMENT', (option, options) => {
    expect(() => new Mapper({ transport: c.transport(), ...options })).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT', data: expect.objectContaining({ option }) }));
  });
});

test('a fan-out waiting for agents (offline failsafe) ends at once when its caller aborts', async () => {
  const m = c.mapper({ persistentTtl: 60_000 });
  await m.start();
  const giveUp = new AbortController();
  const waiting = m.request('/svc/who', null, { selector: 'all', persistent: true, signal: giveUp.signal, timeout: 0 });
  await flush();
  giveUp.abort();
  const settled = await Promise.race([waiting.then(() => 'resolved', (e: NaniteError) => e.code), new Promise((r) => setTimeout(r, 1_000, 'still waiting'))]);
  expect(settled).toBe('NANITE_ERR_ABORTED');
  // An agent appearing later starts nothing for it.
  await c.agent({ identity: 'a', actors: [actor()] }).start();
  await flush();
  expect(m.stats.pending).toBe(0);
});

test('a fan-out over an agent named __proto__ gathers its outcome as an own property', async () => {
  const m = await cluster(['__proto__', 'b']);
  const out = await m.request('/svc/who', null, { selector: 'all' });
  expect(Object.keys(out).sort()).toEqual(['__proto__', 'b']);
  expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual({ ok: true, result: '__proto__' });
});

test('memory://: a second agent under a live agent\'s identity is refused, and the first keeps serving', async () => {
  const m = await cluster(['a']);
  const twin = c.agent({ identity: 'a', actors: [actor()] });
  await expect(twin.start()).rejects.toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT', data: { identity: 'a', kind: 'agent' } });
  await expect(m.request('/svc/who', null)).resolves.toBe('a');
});

describe('identities and tags that no peer would accept', () => {
  test.each<[string, object]>([
    ['an empty identity (every Register it sent was dropped as malformed: it served nobody)', { identity: '' }],
    ['a numeric identity', { identity: 42 }],
    ['an identity with a terminal escape', { identity: 'a\u001b[2J' }],
    ['an identity of 201 characters', { identity: 'x'.repeat(201) }],
    ['tags with a number (every Register dropped, the same)', { tags: [1] }],
    ['tags as a string', { tags: 'eu' }],
    ['a drainTimeout of NaN', { drainTimeout: Number.NaN }],
    ['a pingInterval past what Node timers hold (they would fire it every millisecond)', { pingInterval: 2 ** 31 }],
    ['a logger without warn (the first fault logged from a timer killed the process)', { logger: { info() {}, error() {} } }],
    ['a null actor', { actors: [null] }],
    ['observers that are not a list', { observers: 5 }],
    ['an observer that is null', { observers: [null] }],
  ])('an agent given %s throws NANITE_ERR_INVALID_ARGUMENT at construction', (_name, options) => {
    expect(() => c.agent({ actors: [actor()], ...options })).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT' }));
  });

  test.each<[string, object]>([
    ['a number as transport', { transport: 5 }],
    ['an object that is no transport', { transport: { url: 'amqp://x' } }],
  ])('an agent or a mapper given %s throws NANITE_ERR_INVALID_ARGUMENT naming the option', (_name, options) => {
    expect(() => new Agent({ actors: [actor()], ...options } as unknown as AgentOptions)).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT', data: { option: 'transport' } }));
    expect(() => new Mapper(options as unknown as MapperOptions)).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT', data: { option: 'transport' } }));
  });

  test.each<[string, () => unknown]>([
    ['a null-prototype object', () => Object.create(null) as unknown],
    ['a revoked Proxy', () => { const { proxy, revoke } = Proxy.revocable({}, {}); revoke(); return proxy; }],
  ])('a mapper option that cannot be printed (%s) throws NANITE_ERR_INVALID_ARGUMENT naming it, not a TypeError from the message', (_name, value) => {
    for (const option of ['timeout', 'failoverWindow', 'maxAgents']) {
      expect(() => new Mapper({ transport: c.transport(), [option]: value() })).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT', data: expect.objectContaining({ option }) }));
    }
    expect(() => new Mapper({ transport: c.transport(), roster: { gossipInterval: value() as number } })).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT' }));
  });

  test('a mapper given a logger that is not one throws NANITE_ERR_INVALID_ARGUMENT', () => {
    expect(() => new Mapper({ transport: c.transport(), logger: {} as unknown as Logger })).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT', data: { option: 'logger' } }));
  });

  test('a mapper given an empty identity throws NANITE_ERR_INVALID_ARGUMENT', () => {
    expect(() => new Mapper({ transport: c.transport(), identity: '' })).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT', data: { option: 'identity' } }));
  });
});

test.each<[string, number]>([
  ['Infinity (its silence timer re-armed every millisecond)', Infinity],
  ['a string (it never timed out)', '100' as unknown as number],
  ['past what Node timers hold', 2 ** 31],
])('a result stream with a timeout of %s is refused with NANITE_ERR_INVALID_ARGUMENT', async (_what, timeout) => {
  const m = await cluster();
  await expect((async () => {
    for await (const _chunk of m.stream('/svc/who', null, { timeout })) break;
  })()).rejects.toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT' });
});

test.each<[string, object, string]>([
  ['maxEntries -1 (every agent was refused)', { maxEntries: -1 }, 'roster.maxEntries'],
  ['detectInterval 0 (the detector ticked every millisecond)', { detectInterval: 0 }, 'roster.detectInterval'],
  ['tombstoneTtl NaN (tombstones never expired)', { tombstoneTtl: Number.NaN }, 'roster.tombstoneTtl'],
  ['gossipInterval as a string', { gossipInterval: 'x' }, 'roster.gossipInterval'],
  ['a clock that is not a function', { clock: 42 }, 'roster.clock'],
  ['a store that is neither a path nor a RosterStore', { store: 42 }, 'roster.store'],
  ['a detector window of 0', { detector: { window: 0 } }, 'roster.detector.window'],
])('a mapper whose roster has %s throws NANITE_ERR_INVALID_ARGUMENT naming it', (_what, roster, option) => {
  expect(() => new Mapper({ transport: c.transport(), roster: roster as MapperOptions['roster'] })).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT', data: { option } }));
});
