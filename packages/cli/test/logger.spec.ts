import { NaniteError } from '@nanite/core';
import { createLogger, pickLogFormat, resolveLevel } from '../src';
import { Capture } from './helpers';

describe('logger', () => {
  it('resolves the level from the flag, then NANITE_LOG_LEVEL, then the fallback; empty means unset', () => {
    expect(resolveLevel('debug', 'error', 'info')).toBe('debug');
    expect(resolveLevel(undefined, 'error', 'info')).toBe('error');
    expect(resolveLevel(undefined, '', 'info')).toBe('info');
    expect(resolveLevel(undefined, undefined, 'warn')).toBe('warn');
  });

  it('rejects an unknown level', () => {
    expect(() => resolveLevel(undefined, 'loud', 'info')).toThrow(NaniteError);
    expect(() => resolveLevel(undefined, 'loud', 'info')).toThrow(/Unknown log level "loud"/);
  });

  it('picks pretty on a terminal and JSON otherwise, unless told', () => {
    expect(pickLogFormat(undefined, { isTTY: true })).toBe('pretty');
    expect(pickLogFormat(undefined, {})).toBe('json');
    expect(pickLogFormat('json', { isTTY: true })).toBe('json');
    expect(pickLogFormat('pretty', {})).toBe('pretty');
  });

  it('writes JSON lines with the name, or pretty text', () => {
    const json = new Capture();
    createLogger({ name: 'nanite-test', level: 'info', format: 'json', destination: json }).info({ k: 1 }, 'hello');
    expect(JSON.parse(json.text)).toMatchObject({ name: 'nanite-test', k: 1, msg: 'hello', level: 30 });
    const text = new Capture();
    const pretty = createLogger({ name: 'nanite-test', level: 'info', format: 'pretty', destination: text });
    pretty.debug({}, 'hidden');
    pretty.info({ k: 1 }, 'hello');
    expect(text.text).toMatch(/INFO.*\(nanite-test\/\d+.*\): hello\n\s+k: 1/);
    expect(text.text).not.toContain('hidden');
  });
});
