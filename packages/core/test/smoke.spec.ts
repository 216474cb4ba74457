import { Actor, Agent, Expose, Mapper, type RequestContext } from '../src';

@Actor()
class Calc {
  @Expose({ idempotent: true })
  add(payload: unknown, ctx: RequestContext): number {
    const [a, b] = payload as [number, number];
    ctx.progress('half', a);
    return a + b;
  }
}

test('smoke', async () => {
  const agent = new Agent({ transport: 'memory://smoke', actors: [new Calc()], identity: 'a1' });
  const mapper = new Mapper({ transport: 'memory://smoke' });
  await agent.start();
  await mapper.start();
  const seen: unknown[] = [];
  const r = await mapper.call<number>('/calc/add', [1, 2], { onProgress: (k, v) => seen.push([k, v]) });
  expect(r).toEqual({ result: 3, agent: 'a1', attempts: 1 });
  expect(seen).toEqual([['half', 1]]);
  await mapper.close();
  await agent.stop();
});
