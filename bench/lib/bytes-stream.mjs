// Shared by the stream benches (stream.bench.mjs, stream-heap.mjs, stream-diagnose.mjs,
// stream-producer.mjs): the `/bytes/gen` actor that yields the same block `count` times, a quiet
// logger, and an agent + mapper pair on a prefix of their own that removes its topology on close.
import nanite from '@nanite/core';

const { Agent, Mapper, defineActor, removeAmqpTopology } = nanite;

export const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** The route every stream bench reads. */
export const ROUTE = '/bytes/gen';

/** `/bytes/gen`: yields `block` `count` times. */
export function bytesActor(count, block) {
  return defineActor('bytes', {
    async *gen() {
      for (let i = 0; i < count; i++) yield block;
    },
  });
}

/** `base` with `?prefix=` (or `&prefix=`) appended. */
export function withPrefix(base, prefix) {
  return `${base}${base.includes('?') ? '&' : '?'}prefix=${prefix}`;
}

/**
 * An agent serving {@link bytesActor} and a mapper that sees it, both on `prefix` at `base`;
 * `close()` stops both and removes the prefix's topology (park queue of the route included).
 */
export async function startBytesPair(base, prefix, count, block) {
  const url = withPrefix(base, prefix);
  const agent = new Agent({ transport: url, actors: [bytesActor(count, block)], logger: quiet });
  const mapper = new Mapper({ transport: url, logger: quiet });
  const close = async () => {
    await mapper.close();
    await agent.close();
    await removeAmqpTopology(base, prefix, { routes: [ROUTE] });
  };
  try {
    await agent.start();
    await mapper.start();
    await mapper.waitForAgents({ route: ROUTE, timeout: 10_000 });
  } catch (err) {
    await close();
    throw err;
  }
  return { agent, mapper, close };
}
