import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

// The typings as a user sees them: tsc checks test/types/*.test-d.ts against the built .d.ts
// (through the package's exports map), including the `fastify.nanite` declaration merging.
describe('@nanite/fastify typings', () => {
  it('type-check the usage file, including its expected errors', () => {
    const tsc = require.resolve('typescript/bin/tsc');
    const project = join(__dirname, 'types', 'tsconfig.json');

    const run = spawnSync(process.execPath, [tsc, '-p', project, '--pretty', 'false'], { encoding: 'utf8' });

    expect(run.stdout + run.stderr).toBe('');
    expect(run.status).toBe(0);
  }, 60_000);
});
