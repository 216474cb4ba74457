// A route's Standard Schema over the real broker: the validation error and its issue paths cross
// amqp:// to the caller; a valid payload reaches the handler parsed.
import { z } from 'zod';
import { Agent, Mapper, NaniteError, defineActor, withSchema, type RoutesOf, type ValidationErrorData } from '../src';
import { AMQP_URL, removeTopology, uniquePrefix } from './amqp.helpers';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const billing = defineActor('billing', {
  charge: withSchema(z.object({ order: z.number().int(), items: z.array(z.object({ sku: z.string() })).min(1) }), (p) => ({ charged: p.order, items: p.items.length })),
});
type Routes = RoutesOf<[typeof billing]>;

let prefix: string;
let agent: Agent;
let mapper: Mapper;

beforeEach(async () => {
  prefix = uniquePrefix('schema');
  const url = `${AMQP_URL}?prefix=${prefix}`;
  agent = new Agent({ transport: url, identity: 'billing-1', actors: [billing], logger: quiet });
  await agent.start();
  mapper = new Mapper({ transport: url, logger: quiet });
  await mapper.start();
  await mapper.waitForAgents({ route: '/billing/charge', timeout: 5_000 });
});

afterEach(async () => {
  await mapper.close();
  await agent.stop();
  await removeTopology([prefix]);
});

test('NANITE_ERR_VALIDATION with the schema\'s issue paths reaches the caller over amqp://', async () => {
  const api = mapper.typed<Routes>();
  const err = await api.request('/billing/charge', { order: 1.5, items: [{ sku: 'a' }, { sku: 7 as unknown as string }] }).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(NaniteError);
  expect((err as NaniteError).code).toBe('NANITE_ERR_VALIDATION');
  const data = (err as NaniteError).data as ValidationErrorData;
  expect(data.route).toBe('/billing/charge');
  expect(data.issues.map((i) => i.path)).toEqual([['order'], ['items', 1, 'sku']]);
  expect(data.messages).toHaveLength(2);

  const all = await api.request('/billing/charge', { order: 2, items: [] }, { selector: 'all' });
  expect(all['billing-1']).toMatchObject({ ok: false, error: { code: 'NANITE_ERR_VALIDATION', data: { issues: [{ path: ['items'] }] } } });

  await expect(api.call('/billing/charge', { order: 3, items: [{ sku: 'a' }] })).resolves.toEqual({ result: { charged: 3, items: 1 }, agent: 'billing-1', attempts: 1 });
});
