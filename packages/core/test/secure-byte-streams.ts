/**
 * Byte streams in secure mode, shared by the memory:// and amqp:// specs: a result stream and an
 * upload of random bytes arrive as `Buffer`s whose SHA-256 matches what was sent, and the bytes
 * never cross the transport in clear.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Agent, defineActor, Mapper, type SecurityOptions, type Transport } from '../src';
import { issue, type TestCa } from './pki';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** Random blocks of uneven sizes (one over the agent's 256 KiB split, one empty). */
export function blocks(): Buffer[] {
  return [1, 1000, 65_536, 300 * 1024, 0, 17, 256 * 1024, 4_097].map((n) => randomBytes(n));
}

const sha = (parts: readonly Buffer[]): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

export interface ByteStreamOutcome {
  sent: string;
  received: string;
  /** What each chunk of the result stream arrived as. */
  kinds: string[];
  /** The SHA-256 the agent computed of the upload, and what its chunks arrived as. */
  uploaded: string;
  uploadKinds: string[];
}

/** Runs a byte result stream and a byte upload between a secure agent and mapper over `make()`'s transports (closed here). */
export async function secureByteStreams(ca: TestCa, make: () => Transport): Promise<ByteStreamOutcome> {
  // A transport instance passed in is not owned by the agent or mapper: closed in `finally`.
  const opened: Transport[] = [];
  const transport = (): Transport => {
    const t = make();
    opened.push(t);
    return t;
  };
  const sec = async (name: string): Promise<SecurityOptions> => ({ ...(await issue(ca, name)), ca: ca.pem });
  const source = blocks();
  const uploadKinds: string[] = [];
  const kind = (c: unknown): string => (Buffer.isBuffer(c) ? 'Buffer' : typeof c);
  const agent = new Agent({
    transport: transport(),
    security: await sec('fred'),
    logger: quiet,
    pingInterval: 300,
    actors: [defineActor('bytes', {
      async *gen() {
        for (const b of source) yield b;
      },
      digest: async (_p: unknown, ctx: { input?: AsyncIterable<unknown> }) => {
        const h = createHash('sha256');
        for await (const c of ctx.input!) {
          uploadKinds.push(kind(c));
          if (Buffer.isBuffer(c)) h.update(c);
        }
        return h.digest('hex');
      },
    })],
  });
  const mapper = new Mapper({ transport: transport(), security: await sec('web'), discoveryWindow: 0, logger: quiet });
  try {
    await agent.start();
    await mapper.start();
    await mapper.waitForAgents({ route: '/bytes/gen', count: 1, timeout: 10_000 });
    const got: Buffer[] = [];
    const kinds: string[] = [];
    for await (const c of mapper.stream('/bytes/gen', null, { window: 4 })) {
      kinds.push(kind(c));
      if (Buffer.isBuffer(c)) got.push(c);
    }
    async function* upload() {
      for (const b of source) yield b;
    }
    const uploaded = await mapper.request('/bytes/digest', null, { stream: upload(), timeout: 10_000 });
    return { sent: sha(source), received: sha(got), kinds, uploaded: String(uploaded), uploadKinds };
  } finally {
    await mapper.close();
    await agent.stop();
    for (const t of opened) await t.close();
  }
}
