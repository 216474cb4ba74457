/** `nanite agents --all` and `nanite forget` against a running mapper's roster (memory://). */
import { Agent, Mapper, MemoryTransport, type RosterAgent } from '@nanite/core';
import { EXIT, runAgents, runForget } from '../src';
import { memoryUrl, quietLogger, simpleActor, testIo, until } from './helpers';

describe('the roster from the shell', () => {
  let url: string;
  let closers: Array<() => Promise<void>> = [];

  beforeEach(() => {
    url = memoryUrl();
    closers = [];
  });
  afterEach(async () => {
    for (const close of closers.reverse()) await close();
  });

  async function cluster(): Promise<{ mapper: Mapper; fred: Agent; bob: Agent; bobTransport: MemoryTransport }> {
    const mapper = new Mapper({ transport: url, logger: quietLogger, discoveryWindow: 0 });
    closers.push(() => mapper.close());
    await mapper.start();
    const fred = new Agent({ transport: url, identity: 'fred', logger: quietLogger, actors: [simpleActor()], pingInterval: 200 });
    const bobTransport = MemoryTransport.fromUrl(new URL(url));
    const bob = new Agent({ transport: bobTransport, identity: 'bob', logger: quietLogger, actors: [simpleActor()], pingInterval: 200 });
    closers.push(() => fred.stop(), async () => {
      await bob.stop();
      await bobTransport.close();
    });
    await fred.start();
    await bob.start();
    await until(() => mapper.roster().filter((a) => a.state === 'up').length === 2, 5_000, 'fred and bob up');
    return { mapper, fred, bob, bobTransport };
  }

  it('agents --all lists every roster entry with its state, learned from the running mapper (JSON when piped, a table on a terminal)', async () => {
    const { mapper, bobTransport } = await cluster();
    bobTransport.sever(); // bob dies
    await until(() => mapper.roster().find((a) => a.identity === 'bob')?.state === 'down', 5_000, 'bob down');
    const io = testIo();
    expect(await runAgents({ url, wait: 300, all: true }, io)).toBe(EXIT.OK);
    const list = JSON.parse(io.stdout.text) as RosterAgent[];
    expect(list.map((a) => [a.identity, a.state])).toEqual([['bob', 'down'], ['fred', 'up']]);
    expect(list[0]!.lastDown).toBeGreaterThan(0);
    const tty = testIo({ tty: true });
    expect(await runAgents({ url, wait: 300, all: true }, tty)).toBe(EXIT.OK);
    expect(tty.stdout.text).toMatch(/^IDENTITY\s+STATE\s+SINCE\s+ROUTES\s+TAGS\s+BY\nbob\s+down\s+\d+s ago\s+.*\nfred\s+up\s+/);
  });

  it('agents --all shows version and endpoint: columns on a terminal when some agent has them, always in the JSON', async () => {
    const { mapper } = await cluster();
    const tom = new Agent({ transport: url, identity: 'tom', version: '1.4.1', listen: 'tcp://127.0.0.1:0', logger: quietLogger, actors: [simpleActor()], pingInterval: 200 });
    closers.push(() => tom.stop());
    await tom.start();
    await until(() => mapper.roster().some((a) => a.identity === 'tom' && a.state === 'up'), 5_000, 'tom up');
    const io = testIo();
    expect(await runAgents({ url, wait: 300, all: true }, io)).toBe(EXIT.OK);
    const list = JSON.parse(io.stdout.text) as RosterAgent[];
    expect(list.find((a) => a.identity === 'tom')).toMatchObject({ state: 'up', version: '1.4.1', endpoint: tom.endpoint });
    expect(list.find((a) => a.identity === 'fred')).not.toHaveProperty('version');
    const tty = testIo({ tty: true });
    expect(await runAgents({ url, wait: 300, all: true }, tty)).toBe(EXIT.OK);
    const lines = tty.stdout.text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^IDENTITY\s+STATE\s+SINCE\s+ROUTES\s+TAGS\s+VERSION\s+ENDPOINT\s+BY$/);
    expect(lines.find((l) => l.startsWith('tom '))).toMatch(new RegExp(`\\s1\\.4\\.1\\s+${tom.endpoint!.replace(/[.]/g, '\\.')}\\s+`));
    expect(lines.find((l) => l.startsWith('fred '))).toMatch(/\s-\s+-\s+\S+$/);
  });

  it('forget retires an agent on the running mapper; an unknown identity exits 3', async () => {
    const { mapper, fred } = await cluster();
    const io = testIo();
    expect(await runForget({ url, identity: 'fred', wait: 300 }, io)).toBe(EXIT.OK);
    expect(io.stdout.text).toBe('fred removed\n');
    await until(() => mapper.roster().find((a) => a.identity === 'fred')?.state === 'removed', 5_000, 'fred removed on the running mapper');
    await until(() => !fred.isRunning, 5_000, 'fred to stop');
    expect(mapper.agents().map((a) => a.identity)).toEqual(['bob']);
    const unknown = testIo();
    expect(await runForget({ url, identity: 'nobody', wait: 100 }, unknown)).toBe(EXIT.NO_AGENT);
    expect(unknown.stderr.text).toMatch(/^NANITE_ERR_NO_AGENT: No mapper's roster knows an agent "nobody"/);
  });
});
