/**
 * Streams over the transport (docs/streams.md): result streams and uploads with credit-based flow
 * control, errors and cancellation mid-stream, and an agent lost mid-stream, between a real Agent
 * and Mapper.
 */
import { createHash, randomBytes } from 'node:crypto';
import { ok, strictEqual } from 'node:assert/strict';
import { defineActor } from '../../actor/actor-routes';
import type { ActorDefinition } from '../../actor/actor.types';
import { Agent } from '../../agent/agent';
import { NaniteError } from '../../errors';
import { Mapper } from '../../mapper/mapper';
import type { Transport } from '../../transport/transport';
import type { ContractHarness } from '../contract.harness';
import { same } from '../same';
import { SinkRecorder } from '../sink-recorder';

type It = (name: string, fn: () => Promise<void>) => void;

/** What the stream actor tells the case about its handlers. */
interface StreamProbe {
  /** SHA-256 (hex) of the bytes a handler sent or received, by route. */
  sha: Record<string, string>;
  /** Chunks `/contract_stream/bytes` has produced so far. */
  produced: number;
  /** Set when a handler's `finally` ran. */
  closed: boolean;
}

function streamActor(probe: StreamProbe): ActorDefinition {
  return defineActor('contract_stream', {
    async *bytes(p: unknown) {
      const { count, size } = p as { count: number; size: number };
      const hash = createHash('sha256');
      for (let i = 0; i < count; i++) {
        const b = randomBytes(size);
        hash.update(b);
        probe.produced++;
        yield b;
      }
      probe.sha['/contract_stream/bytes'] = hash.digest('hex');
    },
    async *values() {
      for (let i = 0; i < 5; i++) yield { i, text: `value ${i}` };
    },
    async *echo(_p: unknown, ctx) {
      const hash = createHash('sha256');
      for await (const chunk of ctx.input!) {
        hash.update(chunk as Buffer);
        yield chunk;
      }
      probe.sha['/contract_stream/echo'] = hash.digest('hex');
    },
    async *failing() {
      yield { n: 1 };
      yield { n: 2 };
      throw Object.assign(new Error('broke mid-stream'), { code: 'E_MID' });
    },
    async *forever(_p: unknown, ctx) {
      try {
        while (!ctx.signal.aborted) yield Buffer.alloc(16 * 1024, 7);
      } finally {
        probe.closed = true;
      }
    },
  });
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

/** Stream cases of every transport; `agentLost`: closing an agent's transport mid-stream is told to its mapper. */
export function streamCases<T extends Transport>(h: ContractHarness<T>, it: It, agentLost: boolean): void {
  const { patience, quiet } = h.o;

  const fabric = async (run: (mapper: Mapper, probe: StreamProbe, agentTransport: T, agent: Agent) => Promise<void>): Promise<void> => {
    const probe: StreamProbe = { sha: {}, produced: 0, closed: false };
    const ta = await h.transport();
    // drainTimeout: an agent whose transport was closed under it (the agent-lost case) has a stream
    // waiting for credit that cannot come; close() aborts it after that long.
    const agent = new Agent({ transport: ta, identity: 'streamer', actors: [streamActor(probe)], pingInterval: 200, drainTimeout: patience / 2 });
    const mapper = new Mapper({ transport: await h.transport(), timeout: patience });
    try {
      await agent.start();
      await mapper.start();
      await mapper.waitForAgents({ route: '/contract_stream/bytes', timeout: patience });
      // A transport that opens a data path when it hears an agent register (direct SP dials its
      // endpoint) gets a moment to: a stream keeps the path its request took.
      await new Promise((resolve) => setTimeout(resolve, quiet));
      await run(mapper, probe, ta, agent);
    } finally {
      await mapper.close();
      await agent.close();
    }
  };

  it('a result stream of bytes arrives whole and in order (SHA-256 at both ends)', () =>
    fabric(async (mapper, probe) => {
      const hash = createHash('sha256');
      let chunks = 0;
      for await (const chunk of mapper.stream<Buffer>('/contract_stream/bytes', { count: 48, size: 96 * 1024 })) {
        ok(Buffer.isBuffer(chunk), 'a chunk of bytes arrives as a Buffer');
        hash.update(chunk);
        chunks++;
      }
      strictEqual(chunks, 48);
      strictEqual(hash.digest('hex'), probe.sha['/contract_stream/bytes']);
    }));

  it('a result stream of JSON values arrives in order', () =>
    fabric(async (mapper) => {
      const got: unknown[] = [];
      for await (const v of mapper.stream('/contract_stream/values')) got.push(v);
      same(got, [0, 1, 2, 3, 4].map((i) => ({ i, text: `value ${i}` })));
    }));

  it('a slow reader holds the handler to the credit window', () =>
    fabric(async (mapper, probe) => {
      const s = mapper.stream<Buffer>('/contract_stream/bytes', { count: 40, size: 1024 }, { window: 4 });
      const first = await s.next();
      strictEqual(first.done, false);
      await new Promise((resolve) => setTimeout(resolve, quiet));
      ok(s.received <= 4, `at most the window arrived while nobody read (got ${s.received})`);
      // The handler is one chunk ahead at most: the one it yielded and waits to send.
      ok(probe.produced <= 5, `the handler produced at most the window and one more (produced ${probe.produced})`);
      let n = 1;
      for await (const _chunk of s) n++;
      strictEqual(n, 40);
    }));

  it('an upload goes through a handler and back (SHA-256 at both ends)', () =>
    fabric(async (mapper, probe) => {
      const sent = createHash('sha256');
      async function* source(): AsyncGenerator<Buffer> {
        for (let i = 0; i < 32; i++) {
          const b = randomBytes(64 * 1024);
          sent.update(b);
          yield b;
        }
      }
      const got = createHash('sha256');
      let bytes = 0;
      for await (const chunk of mapper.stream<Buffer>('/contract_stream/echo', undefined, { stream: source() })) {
        got.update(chunk);
        bytes += chunk.length;
      }
      const sha = sent.digest('hex');
      strictEqual(bytes, 32 * 64 * 1024);
      strictEqual(probe.sha['/contract_stream/echo'], sha);
      strictEqual(got.digest('hex'), sha);
    }));

  it('an error mid-stream reaches the reader after the chunks sent before it', () =>
    fabric(async (mapper) => {
      const got: unknown[] = [];
      const err = await rejection(
        (async () => {
          for await (const v of mapper.stream('/contract_stream/failing')) got.push(v);
        })(),
      );
      same(got, [{ n: 1 }, { n: 2 }]);
      ok(err instanceof NaniteError, `a NaniteError, got ${String(err)}`);
      strictEqual(err.code, 'NANITE_ERR_HANDLER');
      strictEqual(err.message, 'broke mid-stream');
    }));

  it('leaving the loop early aborts the handler', () =>
    fabric(async (mapper, probe) => {
      let n = 0;
      for await (const _chunk of mapper.stream<Buffer>('/contract_stream/forever', undefined, { window: 4 })) if (++n === 10) break;
      await new SinkRecorder().until(() => probe.closed, patience, "the handler's finally after the reader left");
    }));

  // A graceful stop lets running handlers finish (within drainTimeout, here patience / 2): the
  // packets that follow a request already running (upload chunks and their end, the reader's
  // credit, a cancel) must still reach the agent while it drains, or the handler waits on them
  // until the drain gives up and aborts it.
  const drainStarted = async (agent: Agent): Promise<void> => {
    agent.close().catch(() => undefined); // the fabric awaits the same close, and sees its outcome
    // Stopping takes this long to be under way (the agent no longer takes new requests) on every transport.
    await new Promise((resolve) => setTimeout(resolve, quiet));
  };

  it('an upload running when its agent starts to drain is read to its end', () =>
    fabric(async (mapper, probe, _ta, agent) => {
      const sent = createHash('sha256');
      let draining: Promise<void> | undefined;
      let echoed = 0;
      const halfway = new Promise<void>((resolve) => {
        const check = setInterval(() => {
          if (echoed < 4) return;
          clearInterval(check);
          resolve();
        }, 5);
      });
      async function* source(): AsyncGenerator<Buffer> {
        for (let i = 0; i < 24; i++) {
          if (i === 8) {
            await halfway;
            draining = drainStarted(agent);
            await draining; // the rest is sent while the agent drains
          }
          const b = randomBytes(16 * 1024);
          sent.update(b);
          yield b;
        }
      }
      const started = Date.now();
      const got = createHash('sha256');
      let bytes = 0;
      for await (const chunk of mapper.stream<Buffer>('/contract_stream/echo', undefined, { stream: source() })) {
        got.update(chunk);
        bytes += chunk.length;
        echoed++;
      }
      ok(draining, 'the agent began to drain mid-upload');
      strictEqual(bytes, 24 * 16 * 1024);
      const sha = sent.digest('hex');
      strictEqual(probe.sha['/contract_stream/echo'], sha);
      strictEqual(got.digest('hex'), sha);
      ok(Date.now() - started < patience / 2, 'finished while draining, not aborted when the drain gave up');
    }));

  it('a result stream running when its agent starts to drain goes on to its end', () =>
    fabric(async (mapper, probe, _ta, agent) => {
      const hash = createHash('sha256');
      let n = 0;
      const started = Date.now();
      const s = mapper.stream<Buffer>('/contract_stream/bytes', { count: 40, size: 1024 }, { window: 4 });
      for await (const chunk of s) {
        hash.update(chunk);
        // The rest needs the reader's credit, which reaches the agent only while it drains.
        if (++n === 2) await drainStarted(agent);
      }
      strictEqual(n, 40);
      strictEqual(hash.digest('hex'), probe.sha['/contract_stream/bytes']);
      ok(Date.now() - started < patience / 2, 'finished while draining, not aborted when the drain gave up');
    }));

  it('leaving the loop while its agent drains aborts the handler at once', () =>
    fabric(async (mapper, probe, _ta, agent) => {
      let n = 0;
      for await (const _chunk of mapper.stream<Buffer>('/contract_stream/forever', undefined, { window: 4 })) {
        if (++n === 2) await drainStarted(agent);
        if (n === 4) break;
      }
      const left = Date.now();
      await new SinkRecorder().until(() => probe.closed, patience, "the handler's finally after the reader left");
      ok(Date.now() - left < patience / 4, `the cancel reached the draining agent (handler ended ${Date.now() - left} ms after the reader left; the drain gives up at ${patience / 2} ms)`);
    }));

  if (agentLost) {
    it("an agent whose transport closes mid-stream fails the stream with NANITE_ERR_AGENT_LOST", () =>
      fabric(async (mapper, _probe, agentTransport) => {
        let n = 0;
        const started = Date.now();
        let closing: Promise<void> | undefined;
        const err = await rejection(
          (async () => {
            // Not awaited in the loop: closing may wait for the running handler, which waits for this reader's credit.
            for await (const _chunk of mapper.stream<Buffer>('/contract_stream/forever', undefined, { window: 4 })) if (++n === 5) closing = agentTransport.close();
          })(),
        );
        await closing;
        ok(err instanceof NaniteError, `a NaniteError, got ${String(err)}`);
        strictEqual(err.code, 'NANITE_ERR_AGENT_LOST');
        ok(Date.now() - started < patience * 2, 'told within patience, not by the silence timeout');
      }));
  }
}
