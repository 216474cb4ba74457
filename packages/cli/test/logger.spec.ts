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

describe('logger output from peer text', () => {
  const hostile = 'fred\u001b]0;pwned\u0007\u001b[8m\u009b2J\u202egnp.exe';

  it('JSON lines: C1 and bidi characters are \\u escapes (JSON escapes only C0), and the value is unchanged', () => {
    const json = new Capture();
    createLogger({ name: 'nanite-test', level: 'info', format: 'json', destination: json }).warn({ agent: hostile }, `agent ${hostile} is gone`);
    // eslint-disable-next-line no-control-regex
    expect(json.text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(JSON.parse(json.text)).toMatchObject({ agent: hostile, msg: `agent ${hostile} is gone` });
  });

  it('pretty text: every control but newline, tab and the colours pino-pretty adds is shown as an escape', () => {
    for (const tty of [false, true]) {
      const text = new Capture(tty);
      createLogger({ name: 'nanite-test', level: 'info', format: 'pretty', destination: text }).warn({ agent: hostile }, `agent ${hostile} is gone`);
      // eslint-disable-next-line no-control-regex
      const withoutColours = text.text.replace(/\u001b\[(?:\d+;?)*m/g, (sgr) => (sgr === '\u001b[8m' ? sgr : ''));
      // eslint-disable-next-line no-control-regex
      expect(withoutColours).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
      expect(text.text).toContain('\\u202egnp.exe');
      // eslint-disable-next-line no-control-regex
      if (tty) expect(text.text).toMatch(/\u001b\[\d+m/); // its own colours are kept
    }
  });
});
