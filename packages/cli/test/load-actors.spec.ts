import { join } from 'node:path';
import { actorRoutes, NaniteError } from '@nanite/core';
import { actorsFromExports, loadActors } from '../src';

const fixtures = join(__dirname, 'fixtures');
const routesOf = (actors: object[]): string[] => actors.flatMap((a) => actorRoutes(a).map((r) => r.route)).sort();

async function failure(paths: string[]): Promise<NaniteError> {
  try {
    await loadActors(paths, fixtures);
  } catch (err) {
    return err as NaniteError;
  }
  throw new Error('expected loadActors to fail');
}

describe('loadActors', () => {
  it('instantiates an exported @Actor() class (the simple-agent example)', async () => {
    const [loaded] = await loadActors(['../../../../examples/simple-agent/simple.js'], fixtures);
    expect(routesOf(loaded!.actors)).toEqual(['/simple/echo']);
    expect(await actorRoutes(loaded!.actors[0]!)[0]!.handler(undefined, {} as never)).toBe('hello nanite');
  });

  it('takes exported instances and skips non-actor exports', async () => {
    const [loaded] = await loadActors(['instance.js'], fixtures);
    expect(loaded!.actors).toHaveLength(1);
    expect(routesOf(loaded!.actors)).toEqual(['/counter/next']);
    // The instance itself is hosted, state and all.
    expect(actorRoutes(loaded!.actors[0]!)[0]!.handler(undefined, {} as never)).toBe(11);
  });

  it('takes module.exports when it is a defineActor() result (.cjs)', async () => {
    const [loaded] = await loadActors(['defined.cjs'], fixtures);
    expect(routesOf(loaded!.actors)).toEqual(['/defined/twice']);
  });

  it('loads an ES module (.mjs): default and named exports', async () => {
    const [loaded] = await loadActors([join(fixtures, 'esm.mjs')], '/');
    expect(routesOf(loaded!.actors)).toEqual(['/esm_default/hello', '/esm_named/hello']);
  });

  it('instantiates a class exported under two names once', async () => {
    const [loaded] = await loadActors(['alias.js'], fixtures);
    expect(loaded!.actors).toHaveLength(1);
  });

  it('loads several modules in order', async () => {
    const loaded = await loadActors(['defined.cjs', 'instance.js'], fixtures);
    expect(loaded.map((l) => l.path)).toEqual([join(fixtures, 'defined.cjs'), join(fixtures, 'instance.js')]);
  });

  it.each([
    [[], /No actor module given/],
    [['missing.js'], /Actor module missing\.js not found/],
    [['none.js'], /none\.js exports no actor: export an @Actor\(\) class/],
    [['throws.js'], /Actor module throws\.js failed to load: cannot load me/],
    [['needs-args.js'], /Actor class Needy from needs-args\.js could not be constructed without arguments/],
  ])('rejects %j with NANITE_ERR_INVALID_ARGUMENT', async (paths, message) => {
    const err = await failure(paths);
    expect(err).toBeInstanceOf(NaniteError);
    expect(err.code).toBe('NANITE_ERR_INVALID_ARGUMENT');
    expect(err.message).toMatch(message);
  });
});

describe('actorsFromExports', () => {
  it('finds nothing in primitives and plain objects', () => {
    expect(actorsFromExports(undefined)).toEqual([]);
    expect(actorsFromExports(42)).toEqual([]);
    expect(actorsFromExports({ a: 1, b: {} })).toEqual([]);
  });
});
