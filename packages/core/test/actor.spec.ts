import { Actor, Expose, NaniteError, actorRoutes, defineActor, snakeCase, type RequestContext } from '../src';

describe('route naming', () => {
  test.each([
    ['Foo', 'foo'],
    ['FooBar', 'foo_bar'],
    ['HTTPServer', 'http_server'],
    ['myActor2Go', 'my_actor2_go'],
    ['already_snake', 'already_snake'],
  ])('%s → %s', (name, snake) => expect(snakeCase(name)).toBe(snake));
});

describe('@Actor / @Expose', () => {
  test('Foo#bar becomes /foo/bar, bound to the instance; only exposed methods become routes', async () => {
    @Actor()
    class FooBar {
      private readonly greeting = 'got payload';
      @Expose()
      bar(payload: unknown): string {
        return `${this.greeting}: ${String(payload)}`;
      }
      notExposed(): void {}
    }
    const routes = actorRoutes(new FooBar());
    expect(routes.map((r) => [r.route, r.idempotent])).toEqual([['/foo_bar/bar', false]]);
    expect(routes[0]!.handler('x', {} as RequestContext)).toBe('got payload: x');
  });

  test('a static prefix (which also types the routes) names the routes; one that contradicts @Actor() is refused', () => {
    @Actor()
    class Calculator {
      static readonly prefix = 'calc';
      @Expose() add(p: [number, number]): number {
        return p[0] + p[1];
      }
    }
    expect(actorRoutes(new Calculator()).map((r) => r.route)).toEqual(['/calc/add']);
    @Actor('calc')
    class Same {
      static readonly prefix = 'calc';
      @Expose() add(): number {
        return 1;
      }
    }
    expect(actorRoutes(new Same()).map((r) => r.route)).toEqual(['/calc/add']);
    const contradicting = () => {
      @Actor('math')
      class Other {
        static readonly prefix = 'calc';
      }
      return Other;
    };
    expect(contradicting).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT', message: expect.stringContaining('"calc"') }));
    const invalid = () => {
      @Actor()
      class Bad {
        static readonly prefix = 'a/b';
      }
      return Bad;
    };
    expect(invalid).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT' }));
  });

  test('prefix, name override and idempotent flag', () => {
    @Actor('mock')
    class Whatever {
      @Expose({ name: 'list', idempotent: true })
      listAll(): string[] { return []; }
      @Expose()
      create(): void {}
    }
    expect(actorRoutes(new Whatever()).map((r) => [r.route, r.idempotent])).toEqual([['/mock/list', true], ['/mock/create', false]]);
  });

  test('a subclass inherits its parent\'s exposed methods and adds its own without changing the parent', () => {
    @Actor('base')
    class Base {
      @Expose() ping(): string { return 'pong'; }
    }
    @Actor('child')
    class Child extends Base {
      @Expose() extra(): string { return 'more'; }
    }
    expect(actorRoutes(new Child()).map((r) => r.route)).toEqual(['/child/ping', '/child/extra']);
    expect(actorRoutes(new Base()).map((r) => r.route)).toEqual(['/base/ping']);
  });

  test('objects that are not actors are refused with a clear error', () => {
    class Plain { run(): void {} }
    @Actor() class Empty {}
    expect(() => actorRoutes(new Plain())).toThrow(/Plain is not an actor/);
    expect(() => actorRoutes(new Empty())).toThrow(/exposes no method/);
    expect(() => Actor('has space')).toThrow(NaniteError);
    expect(() => Expose({ name: 'a/b' })).toThrow(/not a valid route segment/);
  });
});

describe('defineActor (no decorators)', () => {
  test('functions and specs become routes', () => {
    const def = defineActor('simple', {
      echo: (p) => p ?? 'hello nanite',
      slow: { handler: async () => 'done', idempotent: true },
    });
    expect(def.routes.map((r) => [r.route, r.idempotent])).toEqual([['/simple/echo', false], ['/simple/slow', true]]);
    expect(def.routes[0]!.handler(undefined, {} as RequestContext)).toBe('hello nanite');
    expect(actorRoutes(def)).toEqual(def.routes);
  });

  test('bad names and handlers are refused', () => {
    expect(() => defineActor('a b', {})).toThrow(/prefix/);
    expect(() => defineActor('ok', { 'x/y': () => 1 })).toThrow(/Route name/);
    expect(() => defineActor('ok', { x: { handler: 'nope' as never } })).toThrow(/not a function/);
  });
});

describe('actor definitions a mapper would refuse are refused where they are written', () => {
  test.each<[string, () => unknown]>([
    ['defineActor with idempotent "yes" (every Register dropped as malformed: the agent served nobody)', () => defineActor('x', { a: { handler: () => 1, idempotent: 'yes' as unknown as boolean } })],
    ['defineActor with null handlers', () => defineActor('x', null as unknown as Record<string, () => unknown>)],
    ['defineActor with a null handler spec', () => defineActor('x', { a: null as unknown as () => unknown })],
    ['defineActor with a number as prefix', () => defineActor(42 as unknown as string, { a: () => 1 })],
    ['@Expose with idempotent 1', () => Expose({ idempotent: 1 as unknown as boolean })],
  ])('%s: NANITE_ERR_INVALID_ARGUMENT', (_what, make) => {
    expect(make).toThrow(NaniteError);
    expect(make).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT' }));
  });
});
