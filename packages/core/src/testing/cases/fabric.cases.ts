/**
 * Agents and mappers over the transport: the end-to-end behaviour users see.
 */
import { ok, strictEqual } from 'node:assert/strict';
import { same } from '../same';
import { defineActor } from '../../actor/actor-routes';
import type { ActorDefinition } from '../../actor/actor.types';
import { Agent } from '../../agent/agent';
import { NaniteError } from '../../errors';
import { Mapper } from '../../mapper/mapper';
import type { Transport } from '../../transport/transport';
import type { ContractHarness } from '../contract.harness';
import { SinkRecorder } from '../sink-recorder';

type It = (name: string, fn: () => Promise<void>) => void;

function contractActor(): ActorDefinition {
  return defineActor('contract', {
    echo: { idempotent: true, handler: (payload, ctx) => ({ payload, agent: ctx.agent }) },
    steps: async (payload, ctx) => {
      for (let i = 0; i < (payload as number); i++) ctx.progress('step', i);
      return 'done';
    },
    fail: () => {
      throw Object.assign(new Error('kaput'), { code: 'E_KAPUT' });
    },
    wait: (_payload, ctx) => new Promise<string>((resolve) => ctx.signal.addEventListener('abort', () => resolve('aborted'))),
  });
}

/** Cases of every transport: a real Agent and Mapper over it. */
export function fabricCases<T extends Transport>(h: ContractHarness<T>, it: It): void {
  const { patience } = h.o;

  /** Two agents (alpha, beta) and a mapper that sees both. */
  const fabric = async (run: (mapper: Mapper, agents: Agent[]) => Promise<void>): Promise<void> => {
    const ta = await h.transport();
    const agents = ['alpha', 'beta'].map((identity) => new Agent({ transport: ta, identity, actors: [contractActor()], pingInterval: 200 }));
    const mapper = new Mapper({ transport: await h.transport(), timeout: patience });
    try {
      for (const a of agents) await a.start();
      await mapper.start();
      await mapper.waitForAgents({ route: '/contract/echo', count: 2, timeout: patience });
      await run(mapper, agents);
    } finally {
      await mapper.close();
      for (const a of agents) await a.close();
    }
  };

  it('an agent and a mapper over it: request, fan-out and progress', () =>
    fabric(async (mapper) => {
      const r = await mapper.call('/contract/echo', { a: 1 });
      same(r.result, { payload: { a: 1 }, agent: r.agent });
      const all = await mapper.request('/contract/echo', 'x', { selector: 'all' });
      same(Object.keys(all).sort(), ['alpha', 'beta']);
      same(all.alpha, { ok: true, result: { payload: 'x', agent: 'alpha' } });
      const steps: unknown[] = [];
      strictEqual(await mapper.request('/contract/steps', 5, { onProgress: (_k, v) => steps.push(v) }), 'done');
      same(steps, [0, 1, 2, 3, 4]);
    }));

  it('an agent and a mapper over it: a handler error arrives as a structured NaniteError', () =>
    fabric(async (mapper) => {
      const err = await mapper.request('/contract/fail').then(
        () => undefined,
        (e: unknown) => e,
      );
      ok(err instanceof NaniteError, `a NaniteError, got ${String(err)}`);
      strictEqual(err.code, 'NANITE_ERR_HANDLER');
      strictEqual(err.message, 'kaput');
      same({ name: (err.data as { name?: unknown }).name, code: (err.data as { code?: unknown }).code }, { name: 'Error', code: 'E_KAPUT' });
    }));

  it('an agent and a mapper over it: a request its caller gave up on while it waited for the only slot never starts', async () => {
    const started: unknown[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const queued = defineActor('queued', {
      job: async (payload: unknown) => {
        started.push(payload);
        if (payload === 'first') await gate;
        return payload;
      },
    });
    const agent = new Agent({ transport: await h.transport(), identity: 'solo', concurrency: 1, actors: [queued], pingInterval: 200 });
    const mapper = new Mapper({ transport: await h.transport(), timeout: patience * 2 });
    const wait = new SinkRecorder();
    try {
      await agent.start();
      await mapper.start();
      await mapper.waitForAgents({ route: '/queued/job', timeout: patience });
      const first = mapper.request('/queued/job', 'first');
      await wait.until(() => started.length === 1, patience, 'the first request to start');
      const giveUp = new AbortController();
      const second = mapper.request('/queued/job', 'second', { signal: giveUp.signal });
      // The second request waits behind the first: in the agent's queue, or at the broker (a prefetch window of 1).
      await new Promise((resolve) => setTimeout(resolve, h.o.quiet));
      giveUp.abort();
      const err = await second.then(() => undefined, (e: unknown) => e);
      ok(err instanceof NaniteError && err.code === 'NANITE_ERR_ABORTED', `the caller's own abort, got ${String(err)}`);
      // The cancel travels (it finds the request in the agent's queue, or is remembered until the
      // request comes from the broker); then the slot frees.
      await wait.until(() => agent.stats.cancelledBeforeStart + agent.stats.earlyCancelsWaiting > 0, patience, 'the cancel to reach the agent');
      release();
      strictEqual(await first, 'first');
      // Requests start in the order they were sent: had the second one run, it would be before this one.
      strictEqual(await mapper.request('/queued/job', 'third'), 'third');
      same(started, ['first', 'third']);
      strictEqual(agent.stats.cancelledBeforeStart, 1);
    } finally {
      release();
      await mapper.close();
      await agent.close();
    }
  });

  it('an agent and a mapper over it: a timeout rejects the caller and aborts the handler', () =>
    fabric(async (mapper, agents) => {
      const err = await mapper.request('/contract/wait', null, { timeout: 100 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      ok(err instanceof NaniteError, `a NaniteError, got ${String(err)}`);
      strictEqual(err.code, 'NANITE_ERR_TIMEOUT');
      // The handler settles once its signal fires; the agent then frees the slot.
      await new SinkRecorder().until(() => agents.reduce((n, a) => n + a.inFlight, 0) === 0, patience, 'the aborted handler to free its slot');
    }));
}
