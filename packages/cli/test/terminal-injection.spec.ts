/**
 * What peers send cannot drive the terminal: identities, tags, node names, versions and error
 * messages from the wire are printed with their control characters escaped (ESC as \x1b, CSI as
 * \u009b); JSON output stays JSON of the very same values.
 */
import { Agent, defineActor, type AgentView, type RosterAgent } from '@nanite/core';
import { EXIT, formatAgentsTable, runAgents, runRequest, runSurvey } from '../src';
import { formatRosterTable } from '../src/roster-output';
import { memoryUrl, quietLogger, testIo } from './helpers';

/** Any control character a terminal acts on (newlines between lines excepted). */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;
const RETITLE = '\u001b]0;pwned\u0007';
const CSI = '\u009b2J';

describe('hostile peers on a terminal', () => {
  let url: string;
  let agent: Agent;

  beforeEach(async () => {
    url = memoryUrl();
    const evil = defineActor('evil', {
      boom() {
        throw new Error(`\u001b[2Jwiped${CSI}`);
      },
    });
    agent = new Agent({ transport: url, identity: 'mallory', tags: [RETITLE, `c1${CSI}`], actors: [evil], logger: quietLogger });
    await agent.start();
  });

  afterEach(async () => {
    await agent.stop();
  });

  it('nanite agents shows the tags escaped in the table; --json is JSON of the raw tags, with no raw control character either', async () => {
    const tty = testIo({ tty: true });
    expect(await runAgents({ url, wait: 100 }, tty)).toBe(EXIT.OK);
    expect(tty.stdout.text).not.toMatch(RAW_CONTROL);
    expect(tty.stdout.text).toContain('\\x1b]0;pwned\\x07, c1\\u009b2J');
    const json = testIo({ tty: true });
    expect(await runAgents({ url, wait: 100, json: true }, json)).toBe(EXIT.OK);
    expect(json.stdout.text).not.toMatch(RAW_CONTROL);
    expect((JSON.parse(json.stdout.text) as AgentView[])[0]!.tags).toEqual([RETITLE, `c1${CSI}`]);
  });

  it('nanite request prints a handler error message escaped on stderr', async () => {
    const io = testIo({ tty: true });
    expect(await runRequest({ url, route: '/evil/boom' }, io)).toBe(EXIT.FAILURE);
    expect(io.stderr.text).not.toMatch(RAW_CONTROL);
    expect(io.stderr.text).toContain('NANITE_ERR_HANDLER: \\x1b[2Jwiped\\u009b2J');
  });

  it('nanite survey prints an error answer escaped on a terminal', async () => {
    const io = testIo({ tty: true });
    expect(await runSurvey({ url, route: '/evil/boom', deadline: 200 }, io)).toBe(EXIT.PARTIAL);
    expect(io.stdout.text).not.toMatch(RAW_CONTROL);
    expect(io.stdout.text).toContain('mallory: NANITE_ERR_HANDLER: \\x1b[2Jwiped\\u009b2J');
  });
});

describe('tables of what the wire said', () => {
  it('formatAgentsTable escapes identities, node names and routes, and keeps the columns aligned', () => {
    const base: AgentView = { identity: 'x', routes: ['/a/b'], tags: [], status: 0, priority: 8, inFlight: 0, concurrency: 4, pingInterval: 1000, lastSeen: 1_000, pending: 0, load: 0 };
    const text = formatAgentsTable([{ ...base, identity: `evil${CSI}`, node: RETITLE, routes: ['/a/\u001b[8m'] }, { ...base, identity: 'y', node: 'rmq1' }], 1_000);
    expect(text).not.toMatch(RAW_CONTROL);
    const lines = text.split('\n');
    expect(lines[1]).toMatch(/^evil\\u009b2J\s+\\x1b\]0;pwned\\x07\s+0\s+0\/4\s+\/a\/\\x1b\[8m\s+-\s+0s ago$/);
    expect(lines[2]!.indexOf('rmq1')).toBe(lines[0]!.indexOf('NODE'));
  });

  it('formatRosterTable escapes identities, versions, subjects and the mapper that wrote the state', () => {
    const entry: RosterAgent = { identity: `evil${CSI}`, state: 'up', incarnation: 1, routes: ['/a/b'], tags: [RETITLE], pingInterval: 1000, version: `1.0${CSI}`, subject: 'CN=\u001b[5m', firstSeen: 1, lastUp: 1, lastDown: 0, by: `m\u0007` };
    const text = formatRosterTable([entry], 1_000);
    expect(text).not.toMatch(RAW_CONTROL);
    expect(text.split('\n')[1]).toMatch(/^evil\\u009b2J\s+up\s+\S+ ago\s+\/a\/b\s+\\x1b\]0;pwned\\x07\s+1\.0\\u009b2J\s+CN=\\x1b\[5m\s+m\\x07$/);
  });
});
