/** The real `nanite` binary against the real broker: `nanite survey` and `nanite agent --priority`. */
import { join } from 'node:path';
import { useBrokerBed } from './broker-bed';
import { eventually } from './spawn';

jest.setTimeout(60_000);

const SIMPLE = join('examples', 'simple-agent', 'simple.js');
const SLOW = join('packages', 'cli', 'test', 'fixtures', 'slow.js');
const SERVICES = join('examples', 'discovery', 'services.js');
const ROUTES = ['/simple/echo', '/slow/fail', '/discovery/where', '/discovery/list'];

describe('nanite survey (binary, RabbitMQ)', () => {
  const bed = useBrokerBed(ROUTES);

  it('prints every agent\'s answer as NDJSON (exit 0), error answers (exit 6), and exit 3 when nobody answers', async () => {
    await bed.agent('fred', [SIMPLE, SLOW], ['--priority', '1']);
    await bed.agent('bob', [SIMPLE, SLOW]);

    const ok = await bed.cli.run(['survey', '/simple/echo', '{"q":1}', '--deadline', '1500', '--url', bed.url]);
    expect({ code: ok.code, err: ok.stderr }).toEqual({ code: 0, err: '' });
    const lines = ok.stdout.trim().split('\n').map((l) => JSON.parse(l) as { agent: string }).sort((a, b) => a.agent.localeCompare(b.agent));
    expect(lines).toEqual([{ agent: 'bob', ok: true, result: { q: 1 } }, { agent: 'fred', ok: true, result: { q: 1 } }]);

    const failed = await bed.cli.run(['survey', '/slow/fail', '--deadline', '1s', '--url', bed.url]);
    expect(failed.code).toBe(6);
    expect(failed.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { error: { message: string } }).error.message)).toEqual(['the reactor is out of coolant', 'the reactor is out of coolant']);

    const none = await bed.cli.run(['survey', '/simple/nope', '--deadline', '300ms', '--url', bed.url]);
    expect({ code: none.code, out: none.stdout }).toEqual({ code: 3, out: '' });
    expect(none.stderr).toContain('no agent answered /simple/nope');

    const listed = await bed.cli.run(['agents', '--json', '--url', bed.url]);
    expect((JSON.parse(listed.stdout) as Array<{ identity: string; priority: number }>).map((a) => [a.identity, a.priority])).toEqual([['bob', 8], ['fred', 1]]);
    const bad = await bed.cli.run(['agent', '--url', bed.url, '--actors', SIMPLE, '--priority', '17']);
    expect(bad.code).toBe(2);
  });

  it('answers "who provides billing, at which address" with examples/discovery/services.js agents', async () => {
    const start = async (token: string, services: string) => {
      const proc = bed.cli.start(['agent', '--url', bed.url, '--actors', SERVICES, '--token', token], { env: { NANITE_SERVICES: services } });
      await eventually(() => proc.stdout.includes('"msg":"agent started"') || proc.child.exitCode !== null, `agent ${token} to start`);
    };
    await start('a', 'billing=tcp://10.0.0.5:9000,mail=tcp://10.0.0.5:2525');
    await start('b', 'search=tcp://10.0.0.7:9200');
    const out = await bed.cli.run(['survey', '/discovery/where', 'billing', '--deadline', '1500', '--url', bed.url]);
    expect(out.code).toBe(0);
    const answers = out.stdout.trim().split('\n').map((l) => JSON.parse(l) as { agent: string; result: unknown }).sort((x, y) => x.agent.localeCompare(y.agent));
    expect(answers).toEqual([
      { agent: 'a', ok: true, result: { service: 'billing', address: 'tcp://10.0.0.5:9000', agent: 'a' } },
      { agent: 'b', ok: true, result: null },
    ]);
  });
});
