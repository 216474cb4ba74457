/**
 * `--metrics-port` on the real binary against the real broker: `nanite agent` and `nanite mapper`
 * serve `GET /metrics`, and a scrape after traffic shows the agent's request counters moved.
 */
import { join } from 'node:path';
import { useBrokerBed } from './broker-bed';
import { eventually, type CliProcess } from './spawn';

jest.setTimeout(60_000);

const SIMPLE = join('examples', 'simple-agent', 'simple.js');

/** The metrics URL a process logged at start. */
function metricsUrl(proc: CliProcess): string | undefined {
  return /http:\/\/127\.0\.0\.1:\d+\/metrics/.exec(proc.stdout)?.[0];
}

describe('--metrics-port (binary, RabbitMQ)', () => {
  const bed = useBrokerBed(['/simple/echo']);

  it('nanite agent and nanite mapper serve GET /metrics; the agent counts the requests it served', async () => {
    const agent = bed.cli.start(['agent', '--url', bed.url, '--actors', SIMPLE, '--token', 'fred', '--ping-interval', '1s', '--metrics-port', '0']);
    await eventually(() => agent.stdout.includes('"msg":"agent started"') && metricsUrl(agent) !== undefined, 'the agent to start with metrics', 20_000, () => agent.stdout + agent.stderr);
    const mapper = bed.cli.start(['mapper', '--url', bed.url, '--metrics-port', '0']);
    await eventually(() => mapper.stdout.includes('"msg":"agent up"') && metricsUrl(mapper) !== undefined, 'the mapper to see fred', 20_000, () => mapper.stdout + mapper.stderr);

    for (let i = 0; i < 3; i++) expect((await bed.cli.run(['request', '/simple/echo', `${i}`, '--url', bed.url])).code).toBe(0);

    const agentText = await (await fetch(metricsUrl(agent)!)).text();
    expect(agentText).toMatch(/^nanite_agent_requests_total\{route="\/simple\/echo",kind="request",code="ok"\} 3$/m);
    expect(agentText).toMatch(/^nanite_agent_handler_duration_seconds_count\{route="\/simple\/echo",kind="request",outcome="ok"\} 3$/m);
    expect(agentText).toMatch(/^nanite_agent_concurrency\{agent="fred"\} 64$/m);
    const mapperRes = await fetch(metricsUrl(mapper)!);
    expect(mapperRes.headers.get('content-type')).toContain('text/plain');
    const mapperText = await mapperRes.text();
    expect(mapperText).toMatch(/^nanite_mapper_agents\{mapper="[^"]+",state="(joining|up)"\} 1$/m);
    expect(mapperText).toMatch(/^nanite_mapper_agents\{mapper="[^"]+",state="suspect"\} 0$/m);
    expect(mapperText).toMatch(/^nanite_mapper_agent_in_flight\{mapper="[^"]+",agent="fred"\} 0$/m);
    expect((await fetch(metricsUrl(mapper)!.replace('/metrics', '/other'))).status).toBe(404);

    agent.child.kill('SIGTERM');
    mapper.child.kill('SIGTERM');
    await expect(agent.exited).resolves.toMatchObject({ code: 0 });
    await expect(mapper.exited).resolves.toMatchObject({ code: 0 });
  });
});
