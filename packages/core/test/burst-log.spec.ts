import { BurstLog, type BurstLogger } from '../src';

/** A logger that keeps what it was told. */
function recorder(): BurstLogger & { lines: Array<{ level: string; obj: Record<string, unknown>; msg: string }> } {
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg: string }> = [];
  return {
    lines,
    warn: (obj, msg) => lines.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }),
    error: (obj, msg) => lines.push({ level: 'error', obj: obj as Record<string, unknown>, msg }),
  };
}

describe('BurstLog', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('counts every event and writes one line per quiet period, with what it suppressed', () => {
    const logger = recorder();
    const log = new BurstLog({ logger, bindings: { agent: 'a' }, quietMs: 1000, message: 'full' });
    for (let i = 0; i < 500; i++) log.record({ i });
    expect(log.count).toBe(500);
    expect(logger.lines).toEqual([{ level: 'warn', obj: { agent: 'a', i: 0, total: 1, suppressed: 0 }, msg: 'full' }]);
    jest.advanceTimersByTime(999);
    log.record();
    expect(logger.lines).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(log.record({ i: 'late' })).toBe(true);
    expect(logger.lines[1]).toMatchObject({ obj: { i: 'late', total: 502, suppressed: 500 } });
  });

  it("'silence': a steady trickle stays one burst until the events stop for the quiet period", () => {
    const logger = recorder();
    const log = new BurstLog({ logger, quietMs: 1000, until: 'silence', level: 'error', message: 'threw' });
    for (let i = 0; i < 10; i++) {
      log.record();
      jest.advanceTimersByTime(900);
    }
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]?.level).toBe('error');
    jest.advanceTimersByTime(1000);
    log.record();
    expect(logger.lines).toHaveLength(2);
  });

  it('keeps a window per key, counts fixed keys apart and ends a burst on demand', () => {
    const logger = recorder();
    const log = new BurstLog<'a' | 'b'>({ logger, keys: ['a', 'b'], windowPerKey: true, quietMs: Infinity, message: 'fault' });
    log.record({}, 'a');
    log.record({}, 'a');
    log.record({}, 'b', 'b fault');
    expect(logger.lines.map((l) => [l.msg, l.obj['total'], l.obj['counts']])).toEqual([['fault', 1, { a: 1 }], ['b fault', 1, { a: 2, b: 1 }]]);
    expect(log.counts()).toEqual({ a: 2, b: 1 });
    log.endBurst('a');
    log.record({}, 'a');
    log.record({}, 'b');
    expect(logger.lines).toHaveLength(3);
    expect(logger.lines[2]?.obj).toMatchObject({ total: 3, suppressed: 1 });
  });

  it('remembers at most maxKeys free-form keys: events of others are counted, not logged', () => {
    const logger = recorder();
    const log = new BurstLog({ logger, windowPerKey: true, maxKeys: 2, quietMs: Infinity, message: 'bad' });
    for (const reason of ['x', 'y', 'z', 'x', 'z']) log.record({ reason }, reason);
    expect(log.count).toBe(5);
    expect(logger.lines.map((l) => l.obj['reason'])).toEqual(['x', 'y']);
  });

  it('only counts without a logger, and falls back to warn for a logger without error', () => {
    const quiet = new BurstLog({ message: 'x' });
    expect(quiet.record()).toBe(false);
    expect(quiet.count).toBe(1);
    const lines: string[] = [];
    const warnOnly = new BurstLog({ logger: { warn: (_o, msg) => lines.push(msg) }, level: 'error', message: 'to warn' });
    warnOnly.record();
    expect(lines).toEqual(['to warn']);
  });
});
