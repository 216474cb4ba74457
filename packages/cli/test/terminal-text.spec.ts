import { escapeControls, escapeJsonControls } from '../src/terminal-text';

describe('escapeControls', () => {
  it('shows C0 controls and DEL as \\xNN, C1 controls as \\u00NN, and leaves the rest alone', () => {
    expect(escapeControls('\u001b]0;pwned\u0007')).toBe('\\x1b]0;pwned\\x07');
    expect(escapeControls('a\u009b2Jb\u007f\u0000\n\t')).toBe('a\\u009b2Jb\\x7f\\x00\\x0a\\x09');
    expect(escapeControls('fred /simple/echo é 日本 \u00a0')).toBe('fred /simple/echo é 日本 \u00a0');
  });

  it('shows the bidi formatting characters as \\u escapes (a name holding U+202E printed reversed)', () => {
    expect(escapeControls('fred\u202egnp.exe\u2066\u200f')).toBe('fred\\u202egnp.exe\\u2066\\u200f');
  });
});

describe('escapeJsonControls', () => {
  it('writes DEL and C1 as \\u escapes: the same JSON value, nothing a terminal acts on', () => {
    const json = JSON.stringify({ tag: '\u001b[31m\u009b2J\u007f' });
    const safe = escapeJsonControls(json);
    // eslint-disable-next-line no-control-regex
    expect(safe).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    expect(JSON.parse(safe)).toEqual(JSON.parse(json));
  });
});
