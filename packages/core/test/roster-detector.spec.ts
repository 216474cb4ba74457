/** Phi-accrual failure detection and the mapper's own stall guard, on a simulated clock. */
import { LoopLag } from '../src/mapper/roster/loop-lag';
import { PhiDetector, phiOf } from '../src/mapper/roster/phi-detector';

/** Feeds `n` heartbeats with the given intervals; returns the time of the last one. */
function feed(d: PhiDetector, id: string, intervals: number[], start = 0): number {
  let t = start;
  d.heartbeat(id, t, 1_000);
  for (const i of intervals) {
    t += i;
    d.heartbeat(id, t, 1_000);
  }
  return t;
}

/** When (after `last`) the detector first says suspect and down, scanning every 10 ms. */
function verdictTimes(d: PhiDetector, last: number): { suspect: number; down: number } {
  const out = { suspect: NaN, down: NaN };
  for (let t = last; t < last + 60_000 && Number.isNaN(out.down); t += 10) {
    for (const v of d.check(t)) out[v.to] = t - last;
  }
  return out;
}

describe('phi-accrual detector', () => {
  test('steady 1 s pings: suspect after ~1.5 s of silence, down before 2 s', () => {
    const d = new PhiDetector();
    const last = feed(d, 'a', Array(30).fill(1_000));
    const { suspect, down } = verdictTimes(d, last);
    expect(suspect).toBeGreaterThan(1_100);
    expect(suspect).toBeLessThan(1_600);
    expect(down).toBeGreaterThan(suspect);
    expect(down).toBeLessThan(2_000);
  });

  test('adapts to each agent: ±50 % jitter never suspects within the jitter, and a 5 s pinger gets 5× the slack', () => {
    const d = new PhiDetector();
    let seed = 7;
    const rnd = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const jittery = Array.from({ length: 50 }, () => 500 + rnd() * 1_000);
    const last = feed(d, 'j', jittery);
    expect(d.check(last + 1_500)).toEqual([]);
    const slow = new PhiDetector();
    const lastSlow = feed(slow, 's', Array(20).fill(5_000));
    expect(slow.check(lastSlow + 5_500)).toEqual([]);
    expect(verdictTimes(slow, lastSlow).down).toBeGreaterThan(5 * 1_300);
  });

  test('up → suspect → down, each once; a heartbeat makes it up at once', () => {
    const d = new PhiDetector();
    const last = feed(d, 'a', Array(10).fill(1_000));
    expect(d.check(last + 1_600)).toEqual([{ identity: 'a', to: 'suspect' }]);
    expect(d.check(last + 1_650)).toEqual([]);
    expect(d.heartbeat('a', last + 1_460, 1_000)).toBe('suspect');
    expect(d.check(last + 1_500)).toEqual([]);
    expect(d.check(last + 1_460 + 3_000)).toEqual([{ identity: 'a', to: 'down' }]);
    expect(d.check(last + 1_460 + 9_000)).toEqual([]);
    expect(d.heartbeat('a', last + 20_000, 1_000)).toBe('down');
  });

  test('discount moves every deadline: a stall of ours is nobody\'s silence', () => {
    const d = new PhiDetector();
    const last = feed(d, 'a', Array(10).fill(1_000));
    d.discount(1_000);
    expect(d.check(last + 2_000)).toEqual([]);
    expect(d.phi('a', last + 1_000)).toBeLessThan(1);
  });

  test('phi grows with silence', () => {
    expect(phiOf(1_000, 1_000, 100)).toBeCloseTo(0.3, 1);
    expect(phiOf(1_500, 1_000, 100)).toBeGreaterThan(7);
    expect(phiOf(1_600, 1_000, 100)).toBeGreaterThan(phiOf(1_500, 1_000, 100));
  });
});

describe('loop lag', () => {
  test('a check that runs late by more than the tolerance reports the stall', () => {
    const lag = new LoopLag(100, 50);
    expect(lag.tick(0)).toBe(0);
    expect(lag.tick(130)).toBe(0);
    expect(lag.tick(1_230)).toBe(1_000);
    expect(lag.stalls).toBe(1);
    expect(lag.maxStall).toBe(1_000);
  });
});
