import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES, NANITE_HTTP_STATUS, NaniteError, asNaniteError, httpStatusOf, isNaniteErrorCode, toNaniteError } from '../src';

describe('error code table', () => {
  const doc = readFileSync(join(__dirname, '../../../docs/errors.md'), 'utf8');
  const rows = [...doc.matchAll(/^\| `(NANITE_ERR_[A-Z_]+)` \| (yes|no) \|/gm)].map((m) => ({ code: m[1]!, retryable: m[2] === 'yes' }));

  test('docs/errors.md documents exactly the codes of ERROR_CODES, with the same retry advice', () => {
    expect(rows.map((r) => r.code).sort()).toEqual(Object.keys(ERROR_CODES).sort());
    for (const r of rows) expect([r.code, ERROR_CODES[r.code as keyof typeof ERROR_CODES].retryable]).toEqual([r.code, r.retryable]);
  });

  test('every code follows NANITE_ERR_<AREA>_<WHAT> naming', () => {
    for (const code of Object.keys(ERROR_CODES)) expect(code).toMatch(/^NANITE_ERR_[A-Z]+(_[A-Z]+)*$/);
  });
});

describe('NaniteError', () => {
  test('takes the default message and retry advice of its code', () => {
    const e = new NaniteError('NANITE_ERR_NO_AGENT');
    expect(e).toBeInstanceOf(Error);
    expect(e).toMatchObject({ name: 'NaniteError', code: 'NANITE_ERR_NO_AGENT', retryable: true, message: ERROR_CODES.NANITE_ERR_NO_AGENT.message });
  });

  test('crosses the wire as code, message, retryable and data only', () => {
    const e = new NaniteError('NANITE_ERR_VALIDATION', { message: 'bad', data: { field: 'x' }, cause: new Error('inner') });
    const wire = JSON.parse(JSON.stringify(e)) as unknown;
    expect(wire).toEqual({ code: 'NANITE_ERR_VALIDATION', message: 'bad', retryable: false, data: { field: 'x' } });
    const back = NaniteError.fromJSON(e.toJSON());
    expect(back).toBeInstanceOf(NaniteError);
    expect(back.toJSON()).toEqual(e.toJSON());
  });

  test('toNaniteError keeps a NaniteError and wraps anything else as NANITE_ERR_HANDLER', () => {
    const n = new NaniteError('NANITE_ERR_FORBIDDEN');
    expect(toNaniteError(n)).toBe(n);
    class NotFound extends Error {
      override name = 'NotFound';
      code = 'E_NOT_FOUND';
      data = { id: 7 };
    }
    expect(toNaniteError(new NotFound('no user 7')).toJSON()).toEqual({
      code: 'NANITE_ERR_HANDLER', message: 'no user 7', retryable: false,
      data: { name: 'NotFound', message: 'no user 7', code: 'E_NOT_FOUND', data: { id: 7 } },
    });
    expect(toNaniteError('plain string').toJSON()).toMatchObject({ code: 'NANITE_ERR_HANDLER', message: 'plain string' });
  });

  test('isNaniteErrorCode accepts only table codes', () => {
    expect(isNaniteErrorCode('NANITE_ERR_TIMEOUT')).toBe(true);
    expect(isNaniteErrorCode('NANITE_ERR_NOPE')).toBe(false);
    expect(isNaniteErrorCode('toString')).toBe(false);
    expect(isNaniteErrorCode(42)).toBe(false);
  });
});

describe('HTTP statuses', () => {
  test('every code has a status, and errors are recognised by shape too', () => {
    expect(Object.keys(NANITE_HTTP_STATUS).sort()).toEqual(Object.keys(ERROR_CODES).sort());
    expect(httpStatusOf(new NaniteError('NANITE_ERR_NO_AGENT'))).toBe(503);
    expect(httpStatusOf(new NaniteError('NANITE_ERR_TIMEOUT'), { NANITE_ERR_TIMEOUT: 408 })).toBe(408);
    const foreign = { name: 'NaniteError', code: 'NANITE_ERR_FORBIDDEN', message: 'no', retryable: false };
    expect(asNaniteError(foreign)).toMatchObject({ code: 'NANITE_ERR_FORBIDDEN', message: 'no' });
    expect(asNaniteError(new Error('x'))).toBeUndefined();
  });
});
