import { NaniteError, type AgentView } from '@nanite/core';
import { AGENT_COLUMNS, fanOutView, formatAge, formatAgentsTable, formatError, formatJson } from '../src';

const agent = (over: Partial<AgentView>): AgentView => ({
  identity: 'fred',
  routes: ['/simple/echo'],
  tags: [],
  status: 0,
  priority: 8,
  inFlight: 0,
  concurrency: 64,
  pingInterval: 5000,
  lastSeen: 1_000_000,
  pending: 0,
  load: 0,
  ...over,
});

describe('formatJson', () => {
  it('indents for a terminal and prints one line for a pipe', () => {
    expect(formatJson({ a: [1] }, true)).toBe('{\n  "a": [\n    1\n  ]\n}');
    expect(formatJson({ a: [1] }, false)).toBe('{"a":[1]}');
  });

  it('prints undefined as null, strings quoted', () => {
    expect(formatJson(undefined, false)).toBe('null');
    expect(formatJson('hello nanite', false)).toBe('"hello nanite"');
  });
});

describe('formatError', () => {
  it('prints CODE: message', () => {
    expect(formatError(new NaniteError('NANITE_ERR_NO_AGENT', { message: 'No agent: no live agent serves /x/y' }))).toBe('NANITE_ERR_NO_AGENT: No agent: no live agent serves /x/y');
  });

  it('adds an application code and data of a handler error on a second line', () => {
    const err = new NaniteError('NANITE_ERR_HANDLER', { message: 'out of coolant', data: { name: 'Error', message: 'out of coolant', code: 'E_COOLANT', data: { left: 0 } } });
    expect(formatError(err)).toBe('NANITE_ERR_HANDLER: out of coolant\n  details: {"code":"E_COOLANT","data":{"left":0}}');
  });

  it('prints a handler error without extras on one line', () => {
    expect(formatError(new NaniteError('NANITE_ERR_HANDLER', { message: 'boom', data: { name: 'Error', message: 'boom' } }))).toBe('NANITE_ERR_HANDLER: boom');
  });

  it('prints other errors with their name', () => {
    expect(formatError(new TypeError('bad'))).toBe('TypeError: bad');
    expect(formatError('weird')).toBe('Error: weird');
  });
});

describe('fanOutView', () => {
  it('keys results by identity, sorted, and shows errors as { error: { code, message } }', () => {
    const { view, failed } = fanOutView({
      fred: { ok: true, result: 'hi' },
      bob: { ok: false, error: new NaniteError('NANITE_ERR_TIMEOUT', { message: 'late', data: { timeout: 5 } }) },
      amy: { ok: true, result: undefined },
    });
    expect(Object.keys(view)).toEqual(['amy', 'bob', 'fred']);
    expect(view).toEqual({ amy: null, bob: { error: { code: 'NANITE_ERR_TIMEOUT', message: 'late', data: { timeout: 5 } } }, fred: 'hi' });
    expect(failed.map(([id, e]) => [id, e.code])).toEqual([['bob', 'NANITE_ERR_TIMEOUT']]);
  });
});

describe('formatAge', () => {
  it.each([
    [0, '0s ago'],
    [1_400, '1s ago'],
    [59_000, '59s ago'],
    [61_000, '1m ago'],
    [7_300_000, '2h ago'],
    [-50, '0s ago'],
  ])('%i ms is %s', (ms, text) => {
    expect(formatAge(ms)).toBe(text);
  });
});

describe('formatAgentsTable', () => {
  it('says so when there is no agent', () => {
    expect(formatAgentsTable([], 0)).toBe('No agents.');
  });

  it('prints aligned columns sorted by identity', () => {
    const text = formatAgentsTable(
      [
        agent({ identity: 'fred', status: 0.25, inFlight: 2, concurrency: 8, routes: ['/simple/echo', '/simple/slow'], tags: ['eu', 'gpu'], lastSeen: 998_000 }),
        agent({ identity: 'bob', lastSeen: 1_000_000 }),
      ],
      1_000_000,
    );
    const lines = text.split('\n');
    expect(lines).toHaveLength(3);
    for (const col of AGENT_COLUMNS) expect(lines[0]).toContain(col);
    expect(lines[1]).toMatch(/^bob\s+0\s+0\/64\s+\/simple\/echo\s+-\s+0s ago$/);
    expect(lines[2]).toMatch(/^fred\s+0\.25\s+2\/8\s+\/simple\/echo, \/simple\/slow\s+eu, gpu\s+2s ago$/);
    // Columns line up: every row's ROUTES starts where the header's does.
    const at = lines[0]!.indexOf('ROUTES');
    expect(lines[1]!.indexOf('/simple/echo')).toBe(at);
    expect(lines[2]!.indexOf('/simple/echo')).toBe(at);
  });
});

describe('formatAgentsTable with broker nodes (a cluster)', () => {
  it('adds a NODE column when an agent reports its node', () => {
    const base = { routes: ['/a/b'], tags: [], status: 0, inFlight: 1, concurrency: 4, pingInterval: 1000, lastSeen: 1_000, pending: 0, load: 0, priority: 8 };
    const out = formatAgentsTable([{ ...base, identity: 'x', node: 'rmq1:5672' }, { ...base, identity: 'y' }], 3_000).split('\n');
    expect(out[0]).toMatch(/^IDENTITY\s+NODE\s+STATUS/);
    expect(out[1]).toMatch(/^x\s+rmq1:5672\s+0/);
    expect(out[2]).toMatch(/^y\s+-\s+0/);
  });

  it('leaves it out when every agent is on the same node (a single broker)', () => {
    const base = { routes: ['/a/b'], tags: [], status: 0, inFlight: 1, concurrency: 4, pingInterval: 1000, lastSeen: 1_000, pending: 0, load: 0, priority: 8, node: '127.0.0.1:5672' };
    const out = formatAgentsTable([{ ...base, identity: 'x' }, { ...base, identity: 'y' }], 3_000).split('\n');
    expect(out[0]).toMatch(/^IDENTITY\s+STATUS/);
  });
});
