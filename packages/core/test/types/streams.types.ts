/** Type tests of typed streams (`mapper.typed<M>().stream`), checked by types.spec.ts. */
import { Readable } from 'node:stream';
import { expectTypeOf } from 'expect-type';
import { defineActor, Mapper, type RequestContext, type ResultStream, type RouteMapOf } from '../../src';

export const files = defineActor('files', {
  async *lines(p: { name: string }) {
    yield `${p.name}:1`;
  },
  read: (_p: { name: string }) => Readable.from([Buffer.from('x')]),
  size: (p: { name: string }) => p.name.length,
  async save(_p: { name: string }, ctx: RequestContext) {
    let n = 0;
    for await (const _c of ctx.input ?? []) n++;
    return n;
  },
});

declare const mapper: Mapper;
const api = mapper.typed<RouteMapOf<typeof files>>();
expectTypeOf(api.stream('/files/lines', { name: 'a' })).toEqualTypeOf<ResultStream<string>>();
// A plain result streams as one chunk of its own type.
expectTypeOf(api.stream('/files/size', { name: 'a' })).toEqualTypeOf<ResultStream<number>>();
api.stream('/files/read', { name: 'a' }, { window: 4, timeout: 1_000 });
// @ts-expect-error -- unknown route
api.stream('/files/nope', { name: 'a' });
// @ts-expect-error -- wrong payload
api.stream('/files/lines', { name: 1 });
api.request('/files/save', { name: 'a' }, { stream: Readable.from([Buffer.from('x')]) });
