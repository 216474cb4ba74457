import { InvalidArgumentError } from 'commander';
import { formerlySecondsDuration, parseDuration, positiveDuration } from '../src/duration';

describe('durations on the command line', () => {
  it.each([
    ['500ms', 500],
    ['5s', 5_000],
    ['1.5s', 1_500],
    ['2m', 120_000],
    ['2000', 2_000],
    [' 250 ', 250],
    ['0', 0],
    ['0.4ms', 1],
  ])('reads %j as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['soon', '-1', '5 s', '5h', '1e3', '', 's', '5sec'])('refuses %j with the accepted forms', (text) => {
    expect(() => parseDuration(text)).toThrow(new InvalidArgumentError('expected a duration (500ms, 5s, 2m, or a number of ms).'));
  });

  describe('flags that took seconds before (--ping-interval, --drain-timeout)', () => {
    const ping = formerlySecondsDuration('--ping-interval');

    it('refuses a bare number below 1000 and says to write the unit', () => {
      expect(() => ping('15')).toThrow(/--ping-interval takes milliseconds now \(it took seconds before\): 15 would be 15 ms\. Write 15s for 15 seconds/);
      expect(() => ping('0.5')).toThrow(/Write 0\.5s/);
    });

    it('takes a unit whatever the value, and bare milliseconds from 1000 up', () => {
      expect(ping('15s')).toBe(15_000);
      expect(ping('250ms')).toBe(250);
      expect(ping('2500')).toBe(2_500);
    });

    it('refuses 0', () => {
      expect(() => ping('0s')).toThrow(/above 0/);
    });
  });

  it('positiveDuration refuses 0 (survey --deadline) and reads the rest like any duration', () => {
    expect(() => positiveDuration('0')).toThrow(new InvalidArgumentError('expected a duration above 0 (500ms, 5s, 2m, or a number of ms).'));
    expect(() => positiveDuration('0s')).toThrow(/above 0/);
    expect(positiveDuration('0.4ms')).toBe(1);
    expect(positiveDuration('2s')).toBe(2_000);
    expect(() => positiveDuration('soon')).toThrow(/expected a duration/);
  });
});
