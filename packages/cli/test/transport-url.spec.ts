import { withFailFast } from '../src';

describe('withFailFast', () => {
  it('adds failFast to amqp:// and amqps:// URLs', () => {
    expect(withFailFast('amqp://guest:guest@127.0.0.1:5672', true)).toBe('amqp://guest:guest@127.0.0.1:5672?failFast=true');
    expect(withFailFast('amqps://h/vh?prefix=p1', false)).toBe('amqps://h/vh?prefix=p1&failFast=false');
  });

  it('keeps a failFast the URL already sets', () => {
    expect(withFailFast('amqp://h?failFast=false', true)).toBe('amqp://h?failFast=false');
  });

  it('leaves other schemes and non-URLs alone', () => {
    expect(withFailFast('memory://demo', true)).toBe('memory://demo');
    expect(withFailFast('not a url', true)).toBe('not a url');
  });
});
