/**
 * A handler's `ctx.signal` is aborted from a timer (its deadline) or a transport callback (its
 * caller's cancel). Node reports a throw from an abort listener as an uncaught exception, and an
 * async listener's rejection as an unhandled one: either used to kill the agent's process. Now the
 * agent catches them, counts them (`stats.abortListenerFaults`) and logs once per burst; the
 * signal is still a real AbortSignal for everything else.
 */
import { addAbortListener, once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { defineActor, type RequestContext } from '../src';
import { TestCluster } from './helpers';

let cluster: TestCluster;
afterEach(() => cluster.close());

/** An agent whose `/h/wait` handler lets `listen` add its listeners, then waits for its signal to abort. */
async function scene(listen: (signal: AbortSignal) => void) {
  cluster = new TestCluster();
  const agent = cluster.agent({
    actors: [defineActor('h', {
      wait: async (_p: unknown, ctx: RequestContext) => {
        listen(ctx.signal);
        await once(ctx.signal, 'abort').catch(() => undefined);
        return 'late';
      },
    })],
  });
  await agent.start();
  const mapper = await cluster.startedMapper();
  return { agent, mapper };
}

test.each([
  ['addEventListener, throwing', (s: AbortSignal) => s.addEventListener('abort', () => { throw new Error('boom'); })],
  ['onabort, throwing', (s: AbortSignal) => { s.onabort = () => { throw new Error('boom'); }; }],
  ['an async listener that rejects', (s: AbortSignal) => s.addEventListener('abort', async () => { await Promise.resolve(); throw new Error('boom'); })],
  ['a listener object whose handleEvent throws', (s: AbortSignal) => s.addEventListener('abort', { handleEvent: () => { throw new Error('boom'); } })],
  ['events.addAbortListener, throwing', (s: AbortSignal) => void addAbortListener(s, () => { throw new Error('boom'); })],
])('%s: a cancel from the caller and a deadline both abort the handler, and the process goes on (counted, logged)', async (_name, listen) => {
  const { agent, mapper } = await scene(listen);
  const giveUp = new AbortController();
  const cancelled = mapper.request('/h/wait', null, { signal: giveUp.signal });
  await sleep(20);
  giveUp.abort();
  await expect(cancelled).rejects.toMatchObject({ code: 'NANITE_ERR_ABORTED' });
  await expect(mapper.request('/h/wait', null, { timeout: 50 })).rejects.toMatchObject({ code: 'NANITE_ERR_TIMEOUT' });
  await sleep(50);
  expect(agent.stats.abortListenerFaults).toBe(2);
  const lines = cluster.logger.lines.filter((l) => l.level === 'error' && /abort listener/.test(l.msg ?? ''));
  expect(lines).toHaveLength(1);
  expect(lines[0]!.obj).toMatchObject({ route: '/h/wait' });
  // Still serving.
  await expect(mapper.request('/h/wait', null, { timeout: 30 })).rejects.toMatchObject({ code: 'NANITE_ERR_TIMEOUT' });
});

test('the signal still behaves as an AbortSignal: listeners see it as `this`, removed ones are not called, onabort reads back, derived signals and timers follow it', async () => {
  const seen: string[] = [];
  const { mapper } = await scene((s) => {
    const removed = () => seen.push('removed');
    s.addEventListener('abort', removed);
    s.removeEventListener('abort', removed);
    s.addEventListener('abort', function (this: unknown) {
      seen.push(this === s ? 'this is the signal' : 'this is something else');
    }, { once: true });
    const handler = () => seen.push('onabort');
    s.onabort = handler;
    seen.push(s.onabort === handler ? 'onabort reads back' : 'onabort differs');
    AbortSignal.any([s]).addEventListener('abort', () => seen.push('derived'));
    sleep(60_000, undefined, { signal: s }).catch((err: Error) => seen.push(`timer ${err.name}`));
  });
  await expect(mapper.request('/h/wait', null, { timeout: 50 })).rejects.toMatchObject({ code: 'NANITE_ERR_TIMEOUT' });
  await sleep(30);
  expect(seen.sort()).toEqual(['derived', 'onabort', 'onabort reads back', 'this is the signal', 'timer AbortError']);
});
