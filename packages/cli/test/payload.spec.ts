import { NaniteError } from '@nanite/core';
import { parsePayload } from '../src';

describe('parsePayload', () => {
  it('gives undefined without an argument', () => {
    expect(parsePayload(undefined)).toBeUndefined();
  });

  it.each([
    ['42', 42],
    ['-1.5', -1.5],
    ['true', true],
    ['null', null],
    ['"quoted"', 'quoted'],
    ['{"a":1,"b":[1,2]}', { a: 1, b: [1, 2] }],
    ['[1, "two"]', [1, 'two']],
    [' {"spaced": true} ', { spaced: true }],
  ])('parses %s as JSON', (text, value) => {
    expect(parsePayload(text)).toEqual(value);
  });

  it.each(['hello', 'hello nanite', '', '1 2', 'True', '/simple/echo'])('sends %j as a string when it is not JSON', (text) => {
    expect(parsePayload(text)).toBe(text);
  });

  it.each(['{"a":1', '[1,2', '"unterminated', "{'single': 1}", '  {oops}'])('rejects %s, which looks like JSON but does not parse', (text) => {
    let caught: unknown;
    try {
      parsePayload(text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(NaniteError);
    expect((caught as NaniteError).code).toBe('NANITE_ERR_INVALID_ARGUMENT');
    expect((caught as NaniteError).message).toMatch(/Malformed payload.*--raw/);
  });

  it('sends the text verbatim with raw', () => {
    expect(parsePayload('42', { raw: true })).toBe('42');
    expect(parsePayload('{"a":1', { raw: true })).toBe('{"a":1');
  });
});
