import { ERROR_CODES, NaniteError, type NaniteErrorCode } from '@nanite/core';
import { EXIT, exitCodeFor } from '../src';

describe('exit codes', () => {
  it('are distinct', () => {
    const values = Object.values(EXIT);
    expect(new Set(values).size).toBe(values.length);
  });

  it.each<[NaniteErrorCode, number]>([
    ['NANITE_ERR_INVALID_ARGUMENT', 2],
    ['NANITE_ERR_UNSUPPORTED_TRANSPORT', 2],
    // A payload the wire cannot carry (nested too deep, too large) is the caller's to fix, not the broker's.
    ['NANITE_ERR_PAYLOAD', 2],
    ['NANITE_ERR_NO_AGENT', 3],
    ['NANITE_ERR_UNKNOWN_ROUTE', 3],
    ['NANITE_ERR_TIMEOUT', 4],
    ['NANITE_ERR_TRANSPORT', 5],
    ['NANITE_ERR_TRANSPORT_AUTH', 5],
    ['NANITE_ERR_NOT_CONNECTED', 5],
    ['NANITE_ERR_BUFFER_FULL', 5],
    ['NANITE_ERR_HANDLER', 1],
    ['NANITE_ERR_AGENT_LOST', 1],
    ['NANITE_ERR_VALIDATION', 1],
  ])('%s exits %i', (code, status) => {
    expect(exitCodeFor(new NaniteError(code))).toBe(status);
  });

  it('gives every Nanite code a status between 1 and 5', () => {
    for (const code of Object.keys(ERROR_CODES) as NaniteErrorCode[]) {
      expect(exitCodeFor(new NaniteError(code))).toBeGreaterThanOrEqual(1);
      expect(exitCodeFor(new NaniteError(code))).toBeLessThanOrEqual(5);
    }
  });

  it('exits 1 for anything that is not a NaniteError', () => {
    expect(exitCodeFor(new Error('x'))).toBe(EXIT.FAILURE);
    expect(exitCodeFor('x')).toBe(EXIT.FAILURE);
  });
});
