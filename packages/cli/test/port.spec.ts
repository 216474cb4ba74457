import { InvalidArgumentError } from 'commander';
import { NaniteError } from '@nanite/core';
import { checkPort, listenError, parsePort } from '../src/port';

describe('port flags', () => {
  it.each([['0', 0], ['4000', 4000], ['65535', 65_535], [' 80 ', 80]])('reads %j as %d', (text, port) => {
    expect(parsePort(text)).toBe(port);
  });

  it.each(['65536', '70000', '-1', '1.5', '1e3', 'http', '', '0x50'])('refuses %j with the accepted range', (text) => {
    expect(() => parsePort(text)).toThrow(new InvalidArgumentError('expected a port number, 0-65535; 0 picks a free one.'));
  });

  it('checkPort refuses what a caller from code passes out of range, as NANITE_ERR_INVALID_ARGUMENT', () => {
    expect(() => checkPort('--port', 70_000)).toThrow(NaniteError);
    expect(() => checkPort('--port', Number.NaN)).toThrow(/--port NaN: expected a port number/);
    expect(() => checkPort('--port', 0)).not.toThrow();
  });

  it('listenError names a port in use or one that needs privileges; other errors pass as they are', () => {
    const inUse = listenError(Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' }), '--metrics-port', 9464, '127.0.0.1');
    expect(inUse).toBeInstanceOf(Error);
    expect((inUse as Error).message).toBe('--metrics-port: port 9464 is in use on 127.0.0.1 (EADDRINUSE): stop what holds it, or pick another port (0: any free one)');
    expect(listenError(Object.assign(new Error('listen EACCES'), { code: 'EACCES' }), '--port', 80, '0.0.0.0')).toMatchObject({ message: expect.stringContaining('needs privileges') as unknown });
    const other = new Error('boom');
    expect(listenError(other, '--port', 1, 'h')).toBe(other);
  });
});
