/**
 * `nanite certs init|issue` makes a CA and certificates that secure mode accepts, and
 * `nanite request --cert --key --ca` calls a secure agent with them.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, defineActor } from '@nanite/core';
import { main } from '../src';
import { memoryUrl, quietLogger, testIo } from './helpers';

describe('nanite certs', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nanite-pki-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('init makes a CA (refusing to overwrite it), issue makes certificates secure agents and mappers accept', async () => {
    const io = testIo();
    expect(await main(['node', 'nanite', 'certs', 'init', '--dir', dir], io)).toBe(0);
    expect(statSync(join(dir, 'ca.key')).mode & 0o077).toBe(0);
    expect(await main(['node', 'nanite', 'certs', 'init', '--dir', dir], testIo())).not.toBe(0);
    expect(await main(['node', 'nanite', 'certs', 'issue', 'fred', '--dir', dir], io)).toBe(0);
    expect(await main(['node', 'nanite', 'certs', 'issue', 'web', '--dir', dir, '--role', 'mapper'], io)).toBe(0);

    const url = memoryUrl();
    const agent = new Agent({
      transport: url,
      security: { cert: join(dir, 'fred.crt'), key: join(dir, 'fred.key'), ca: join(dir, 'ca.crt') },
      actors: [defineActor('echo', { hi: (p: unknown) => p })],
      logger: quietLogger,
    });
    expect(agent.identity).toBe('fred');
    await agent.start();
    try {
      const out = testIo();
      const code = await main(['node', 'nanite', 'request', '/echo/hi', '"secret"', '--url', url, '--cert', join(dir, 'web.crt'), '--key', join(dir, 'web.key'), '--ca', join(dir, 'ca.crt')], out);
      expect(out.stderr.text).toBe('');
      expect(code).toBe(0);
      expect(out.stdout.text).toContain('secret');
      // AES-256-GCM only on the caller's side (FIPS): the agent (auto) reads it and answers.
      const gcm = testIo();
      expect(await main(['node', 'nanite', 'request', '/echo/hi', '"fips"', '--url', url, '--cert', join(dir, 'web.crt'), '--key', join(dir, 'web.key'), '--ca', join(dir, 'ca.crt'), '--aead', 'aes-256-gcm'], gcm)).toBe(0);
      expect(gcm.stdout.text).toContain('fips');
      const rot13 = testIo();
      expect(await main(['node', 'nanite', 'request', '/echo/hi', '"x"', '--url', url, '--cert', join(dir, 'web.crt'), '--key', join(dir, 'web.key'), '--ca', join(dir, 'ca.crt'), '--aead', 'rot13'], rot13)).toBe(2);
      expect(rot13.stderr.text).toContain('aes-256-gcm');
      const env = testIo({ env: { NANITE_CERT: join(dir, 'web.crt'), NANITE_KEY: join(dir, 'web.key'), NANITE_CA: join(dir, 'ca.crt'), NANITE_AEAD: 'rot13' } });
      expect(await main(['node', 'nanite', 'request', '/echo/hi', '"x"', '--url', url], env)).toBe(2);
      expect(env.stderr.text).toContain('NANITE_AEAD');
      // Without a certificate the secure agent ignores the caller: no agent answers.
      const plain = testIo();
      expect(await main(['node', 'nanite', 'request', '/echo/hi', '"x"', '--url', url, '--timeout', '1s'], plain)).not.toBe(0);
    } finally {
      await agent.stop();
    }
  });

  test('issue without a CA says how to make one', async () => {
    const io = testIo();
    expect(await main(['node', 'nanite', 'certs', 'issue', 'fred', '--dir', dir], io)).not.toBe(0);
    expect(io.stderr.text).toContain('nanite certs init');
  });

  test('issue refuses to overwrite an existing certificate or key (exit 2) unless --force, which renews them (key still 0600)', async () => {
    expect(await main(['node', 'nanite', 'certs', 'init', '--dir', dir], testIo())).toBe(0);
    expect(await main(['node', 'nanite', 'certs', 'issue', 'fred', '--dir', dir], testIo())).toBe(0);
    const key = readFileSync(join(dir, 'fred.key'), 'utf8');
    const crt = readFileSync(join(dir, 'fred.crt'), 'utf8');
    const again = testIo();
    expect(await main(['node', 'nanite', 'certs', 'issue', 'fred', '--dir', dir, '--role', 'mapper'], again)).toBe(2);
    expect(again.stderr.text).toBe(`NANITE_ERR_INVALID_ARGUMENT: ${join(dir, 'fred.crt')} and ${join(dir, 'fred.key')} exist: a certificate for "fred" is already there, and whatever uses it would stop working. Pass --force to overwrite\n`);
    expect(readFileSync(join(dir, 'fred.key'), 'utf8')).toBe(key);
    expect(readFileSync(join(dir, 'fred.crt'), 'utf8')).toBe(crt);
    const forced = testIo();
    expect(await main(['node', 'nanite', 'certs', 'issue', 'fred', '--dir', dir, '--force'], forced)).toBe(0);
    expect(readFileSync(join(dir, 'fred.key'), 'utf8')).not.toBe(key);
    expect(statSync(join(dir, 'fred.key')).mode & 0o077).toBe(0);
    const help = testIo();
    expect(await main(['node', 'nanite', 'certs', 'issue', '--help'], help)).toBe(0);
    expect(help.stdout.text).toContain('--force');
  });

  test('the name "ca" (any case) is reserved: issue never replaces the CA, even with --force', async () => {
    expect(await main(['node', 'nanite', 'certs', 'init', '--dir', dir], testIo())).toBe(0);
    const caKey = readFileSync(join(dir, 'ca.key'), 'utf8');
    const caCrt = readFileSync(join(dir, 'ca.crt'), 'utf8');
    for (const args of [['ca'], ['ca', '--force'], ['CA']]) {
      const io = testIo();
      expect(await main(['node', 'nanite', 'certs', 'issue', ...args, '--dir', dir], io)).toBe(2);
      expect(io.stderr.text).toBe(`NANITE_ERR_INVALID_ARGUMENT: "${args[0]}" is reserved: ca.crt and ca.key are the CA's own files. Pick another name\n`);
    }
    expect(readFileSync(join(dir, 'ca.key'), 'utf8')).toBe(caKey);
    expect(readFileSync(join(dir, 'ca.crt'), 'utf8')).toBe(caCrt);
  });

  test('init refuses a directory holding a CA key even without its certificate; --force makes a new CA', async () => {
    expect(await main(['node', 'nanite', 'certs', 'init', '--dir', dir], testIo())).toBe(0);
    const caKey = readFileSync(join(dir, 'ca.key'), 'utf8');
    unlinkSync(join(dir, 'ca.crt'));
    const io = testIo();
    expect(await main(['node', 'nanite', 'certs', 'init', '--dir', dir], io)).toBe(2);
    expect(io.stderr.text).toContain(`${join(dir, 'ca.key')} exists: a CA is already there, and a new one would invalidate every certificate it signed. Pass --force to overwrite`);
    expect(readFileSync(join(dir, 'ca.key'), 'utf8')).toBe(caKey);
    expect(await main(['node', 'nanite', 'certs', 'init', '--dir', dir, '--force'], testIo())).toBe(0);
    expect(readFileSync(join(dir, 'ca.key'), 'utf8')).not.toBe(caKey);
    expect(statSync(join(dir, 'ca.crt')).isFile()).toBe(true);
  });
});
