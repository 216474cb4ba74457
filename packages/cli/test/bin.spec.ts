/** The executable npm links as `nanite` (packages/cli/bin/nanite.js, which runs dist/bin.js). */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';

const cliDir = join(__dirname, '..');
const root = join(cliDir, '..', '..');
const pkg = (JSON.parse(readFileSync(join(cliDir, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> });

describe('the nanite executable', () => {
  it('is declared as bin/nanite.js, committed executable with a shebang', () => {
    expect(pkg.bin).toEqual({ nanite: './bin/nanite.js' });
    const shim = join(cliDir, 'bin', 'nanite.js');
    expect(readFileSync(shim, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(statSync(shim).mode & 0o111).not.toBe(0);
  });

  it('runs the built CLI: --version, and a usage error exits 2', () => {
    const ok = spawnSync(process.execPath, [join(cliDir, 'bin', 'nanite.js'), '--version'], { encoding: 'utf8' });
    expect({ status: ok.status, out: ok.stdout.trim() }).toEqual({ status: 0, out: pkg.version });
    const bad = spawnSync(process.execPath, [join(cliDir, 'bin', 'nanite.js'), 'request'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("missing required argument 'route'");
  });

  it('is linked at the workspace root by npm install (so `npx nanite` works)', () => {
    const link = join(root, 'node_modules', '.bin', 'nanite');
    expect(realpathSync(link)).toBe(realpathSync(join(cliDir, 'bin', 'nanite.js')));
    const help = spawnSync(link, ['--help'], { encoding: 'utf8', cwd: root });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: nanite');
  });
});

describe('nanite agent (the real process, memory://)', () => {
  let child: ChildProcess | undefined;

  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((resolve) => child!.once('close', resolve));
      child.kill('SIGKILL');
      await gone;
    }
    child = undefined;
  });

  it('loads ES modules (.mjs, and a .js with top-level await that require() cannot load), then drains on SIGTERM', async () => {
    const fixtures = join(cliDir, 'test', 'fixtures');
    child = spawn(process.execPath, [join(cliDir, 'bin', 'nanite.js'), 'agent', '--url', 'memory://bin-spec', '--actors', join(fixtures, 'esm-pkg', 'tla.js'), join(fixtures, 'esm.mjs'), '--token', 'esm'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
    const closed = new Promise<number | null>((resolve) => child!.once('close', (code) => resolve(code)));
    const end = Date.now() + 10_000;
    while (!out.includes('"msg":"agent started"') && child.exitCode === null && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    const started = JSON.parse(out.split('\n')[0]!) as { identity: string; routes: string[] };
    expect(started).toMatchObject({ identity: 'esm', routes: ['/tla/hello', '/esm_default/hello', '/esm_named/hello'] });
    child.kill('SIGTERM');
    expect(await closed).toBe(0);
    expect(out).toContain('"msg":"agent stopped"');
  }, 20_000);
});
