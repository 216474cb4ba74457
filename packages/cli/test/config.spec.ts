import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NaniteError } from '@nanite/core';
import { CONFIG_FILE, NO_URL_MESSAGE, readConfigFile, redactUrl, resolveUrl } from '../src';

describe('resolveUrl', () => {
  let cwd: string;
  let home: string;

  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'nanite-cwd-'));
    home = mkdtempSync(join(tmpdir(), 'nanite-home-'));
  });

  afterEach(() => {
    rmSync(cwd, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  });

  const write = (dir: string, content: string): string => {
    const file = join(dir, CONFIG_FILE);
    writeFileSync(file, content);
    return file;
  };

  it('takes --url first', () => {
    write(cwd, '{"url":"amqp://file"}');
    expect(resolveUrl({ flag: 'amqp://flag', env: { NANITE_URL: 'amqp://env' }, cwd, home })).toEqual({ url: 'amqp://flag', source: '--url' });
  });

  it('then NANITE_URL', () => {
    write(cwd, '{"url":"amqp://file"}');
    expect(resolveUrl({ env: { NANITE_URL: 'amqp://env' }, cwd, home })).toEqual({ url: 'amqp://env', source: 'NANITE_URL' });
  });

  it('then .naniterc.json in the working directory, before the one in home', () => {
    const file = write(cwd, '{"url":"amqp://cwd"}');
    write(home, '{"url":"amqp://home"}');
    expect(resolveUrl({ env: {}, cwd, home })).toEqual({ url: 'amqp://cwd', source: file });
  });

  it('then ~/.naniterc.json', () => {
    const file = write(home, '{"url":"amqp://home"}');
    expect(resolveUrl({ env: {}, cwd, home })).toEqual({ url: 'amqp://home', source: file });
  });

  it('skips a config file without a url', () => {
    write(cwd, '{}');
    write(home, '{"url":"amqp://home"}');
    expect(resolveUrl({ env: {}, cwd, home }).url).toBe('amqp://home');
  });

  it('ignores an empty NANITE_URL', () => {
    write(home, '{"url":"amqp://home"}');
    expect(resolveUrl({ env: { NANITE_URL: '' }, cwd, home }).url).toBe('amqp://home');
  });

  it('fails with a message naming every source when none has a URL', () => {
    expect(() => resolveUrl({ env: {}, cwd, home })).toThrow(NO_URL_MESSAGE);
    expect(NO_URL_MESSAGE).toMatch(/--url.*NANITE_URL.*\.naniterc\.json.*~\/\.naniterc\.json/);
  });

  it('names a config file that is not JSON', () => {
    const file = write(cwd, '{"url":');
    expect(() => resolveUrl({ env: {}, cwd, home })).toThrow(`${file} is not valid JSON`);
  });

  it('rejects a config file whose url is not a string, or that is not an object', () => {
    const file = write(cwd, '{"url": 5}');
    expect(() => readConfigFile(file)).toThrow(/"url" in .* must be a string/);
    write(cwd, '["amqp://x"]');
    expect(() => readConfigFile(file)).toThrow(NaniteError);
  });

  it('reads a missing file as undefined', () => {
    expect(readConfigFile(join(cwd, 'nope.json'))).toBeUndefined();
  });
});

describe('redactUrl (core\'s, re-exported)', () => {
  it('hides the credentials', () => {
    expect(redactUrl('amqp://guest:secret@host:5672/vh')).toBe('amqp://host:5672/vh');
  });

  it('leaves URLs without credentials and non-URLs alone', () => {
    expect(redactUrl('memory://demo')).toBe('memory://demo');
    expect(redactUrl('not a url')).toBe('not a url');
  });
});
