/** The executable npm links as `nanite` (packages/cli/bin/nanite.js, which runs dist/bin.js). */
import { spawnSync } from 'node:child_process';
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
