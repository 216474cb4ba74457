// A route's Standard Schema (zod here) guards its handler on memory://: a failing payload reaches
// the caller as NANITE_ERR_VALIDATION with the schema's issue paths, and the handler never runs.
import { z } from 'zod';
import {
  Actor, Agent, Expose, Mapper, MAX_VALIDATION_ISSUES, NaniteError, defineActor, withSchema,
  type RequestContext, type StandardSchemaV1, type ValidationErrorData,
} from '../src';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
let agent: Agent | undefined;
let mapper: Mapper | undefined;

async function serve(name: string, ...actors: object[]): Promise<Mapper> {
  agent = new Agent({ transport: `memory://${name}`, identity: 'fred', actors, logger: quiet });
  await agent.start();
  mapper = new Mapper({ transport: `memory://${name}`, logger: quiet });
  await mapper.start();
  return mapper;
}

afterEach(async () => {
  await mapper?.close();
  await agent?.stop();
  mapper = agent = undefined;
});

async function failure(p: Promise<unknown>): Promise<NaniteError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(NaniteError);
  return err as NaniteError;
}

const Card = z.object({ number: z.string().min(12), cvc: z.coerce.number().int(), holder: z.object({ name: z.string() }) });

describe('payload schemas', () => {
  test('defineActor + withSchema: issues with paths reach the caller; the handler does not run; a good payload arrives parsed', async () => {
    const seen: unknown[] = [];
    const billing = defineActor('billing', {
      card: withSchema(Card, (p) => {
        seen.push(p);
        return `${p.holder.name} ****${p.number.slice(-4)} (${p.cvc})`;
      }, { idempotent: true }),
    });
    const api = (await serve('schema-define', billing)).typed<{ '/billing/card': { payload: unknown; result: string; progress: Record<string, unknown> } }>();

    const err = await failure(api.request('/billing/card', { number: '12', cvc: 'x', holder: {} }));
    expect(err.code).toBe('NANITE_ERR_VALIDATION');
    expect(err.retryable).toBe(false);
    const data = err.data as ValidationErrorData;
    expect(data.route).toBe('/billing/card');
    expect(data.issues.map((i) => i.path)).toEqual([['number'], ['cvc'], ['holder', 'name']]);
    expect(data.messages[0]).toMatch(/^number: /);
    expect(err.message).toMatch(/^The payload of \/billing\/card failed validation: number: .*; cvc: .*; holder\.name: /);
    expect(seen).toEqual([]);

    // The handler gets the schema's output: cvc coerced from a string.
    await expect(api.request('/billing/card', { number: '4111111111111111', cvc: '123', holder: { name: 'Ada' } })).resolves.toBe('Ada ****1111 (123)');
    expect(seen).toEqual([{ number: '4111111111111111', cvc: 123, holder: { name: 'Ada' } }]);
  });

  test('@Expose({ schema }) on a class, with an async schema and array paths', async () => {
    const Order = z.object({ lines: z.array(z.object({ sku: z.string(), qty: z.number().positive() })) }).refine(async () => true);
    @Actor()
    class Shop {
      static readonly prefix = 'shop';
      @Expose({ schema: Order })
      order(p: z.output<typeof Order>, ctx: RequestContext): string {
        return `${p.lines.length} line(s) for ${ctx.route}`;
      }
    }
    const m = await serve('schema-class', new Shop());
    const err = await failure(m.request('/shop/order', { lines: [{ sku: 'a', qty: 1 }, { sku: 2, qty: -1 }] }));
    expect(err.code).toBe('NANITE_ERR_VALIDATION');
    expect((err.data as ValidationErrorData).issues.map((i) => i.path)).toEqual([['lines', 1, 'sku'], ['lines', 1, 'qty']]);
    await expect(m.request('/shop/order', { lines: [{ sku: 'a', qty: 1 }] })).resolves.toBe('1 line(s) for /shop/order');
  });

  test('a payload with many issues gets a bounded error (the rest counted)', async () => {
    const m = await serve('schema-many', defineActor('bulk', { load: withSchema(z.array(z.number()), (p) => p.length) }));
    const err = await failure(m.request('/bulk/load', Array.from({ length: 500 }, () => 'x')));
    const data = err.data as ValidationErrorData;
    expect(data.issues).toHaveLength(MAX_VALIDATION_ISSUES);
    expect(data.truncated).toBe(500 - MAX_VALIDATION_ISSUES);
    expect(err.message).toMatch(/\(and 480 more\)$/);
  });

  test('any Standard Schema works (a hand-written one); a schema that throws is a handler failure, not a crash', async () => {
    const even: StandardSchemaV1<number> = {
      '~standard': {
        version: 1,
        vendor: 'hand',
        validate: (v) => (typeof v === 'number' && v % 2 === 0 ? { value: v } : { issues: [{ message: 'must be even', path: [{ key: 'n' }, Symbol('s')] }] }),
      },
    };
    const broken: StandardSchemaV1 = { '~standard': { version: 1, vendor: 'hand', validate: () => { throw new Error('schema bug'); } } };
    const m = await serve('schema-hand', defineActor('num', { half: withSchema(even, (n) => n / 2), broken: withSchema(broken, () => 'never') }));
    await expect(m.request('/num/half', 4)).resolves.toBe(2);
    const err = await failure(m.request('/num/half', 3));
    expect(err.data).toMatchObject({ issues: [{ path: ['n', 's'], message: 'must be even' }], messages: ['n.s: must be even'] });
    expect((await failure(m.request('/num/broken', 1))).code).toBe('NANITE_ERR_HANDLER');
  });

  test('an object that is not a Standard Schema is refused when the actor is defined', () => {
    expect(() => defineActor('x', { y: { handler: () => 1, schema: {} as StandardSchemaV1 } })).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT' }));
    expect(() => Expose({ schema: { '~standard': {} } as StandardSchemaV1 })).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT' }));
  });
});
