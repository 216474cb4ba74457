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

describe('withFailFast on a cluster host list', () => {
  it('appends failFast to a host list, keeping the hosts and other options', () => {
    expect(withFailFast('amqp://u:p@h1:5672,h2:5672/v?prefix=x', true)).toBe('amqp://u:p@h1:5672,h2:5672/v?prefix=x&failFast=true');
    expect(withFailFast('amqp://u:p@h1:5672,h2:5672', false)).toBe('amqp://u:p@h1:5672,h2:5672?failFast=false');
    expect(withFailFast('amqp://h1:5672,h2:5672/?failFast=false', true)).toBe('amqp://h1:5672,h2:5672/?failFast=false');
  });
});
