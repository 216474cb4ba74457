/** Which listen addresses keep `nanite admin` on this machine. */
import { isLoopbackHost } from '../src/loopback';

describe('isLoopbackHost', () => {
  it.each(['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]', '0:0:0:0:0:0:0:1', '0::01', '::ffff:127.0.0.1'])('%s is loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each(['0.0.0.0', '::', '[::]', '1::', '1::1', '10.0.0.1', '128.0.0.1', '::ffff:10.0.0.1', '::ffff:0.0.0.0', 'example.com', 'localhost.example.com', '', '127.1'])('%s is not', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });
});
