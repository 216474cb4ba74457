/** Direct mode wired through the plugin: `agentOptions.listen` and `mapperOptions.direct` reach core unchanged. */
import { defineActor, SpReqSocket } from '@nanite/core';
import Fastify, { type FastifyInstance } from 'fastify';
import { nanitePlugin } from '../src';
import { busUrl } from './helpers';

const calc = defineActor('calc', { add: (payload) => (payload as number[]).reduce((a, b) => a + b, 0) });

describe('nanitePlugin in direct mode', () => {
  let app: FastifyInstance;
  let req: SpReqSocket | undefined;

  beforeEach(() => {
    app = Fastify();
  });

  afterEach(async () => {
    await req?.close();
    await app.close();
  });

  it('the hosted agent listens on SP; routes call it through a direct mapper; a plain SP REQ peer calls it too', async () => {
    await app.register(nanitePlugin, { url: busUrl(), actors: [calc], agentOptions: { identity: 'calc-sp', listen: 'tcp://127.0.0.1:0' }, mapperOptions: { direct: true } });
    app.get('/add', async () => ({ sum: await app.nanite.request<number>('/calc/add', [2, 3]) }));
    await app.nanite.waitForAgents({ route: '/calc/add', timeout: 2_000 });
    const endpoint = app.nanite.agent?.endpoint;
    expect(endpoint).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    for (let i = 0; i < 3; i++) expect((await app.inject({ method: 'GET', url: '/add' })).json()).toEqual({ sum: 5 });
    req = new SpReqSocket();
    req.dial(endpoint!);
    const reply = await req.request(Buffer.from('{"route":"/calc/add","payload":[1,2,3]}'), { timeout: 5_000 });
    expect(JSON.parse(reply.toString())).toEqual({ ok: true, result: 6 });
  });
});
