// Cross-package check through the packages' public names only (catches broken `exports` maps and
// missing exports): what a user writing `import ... from '@nanite/core'` gets.
import { execFileSync } from 'node:child_process';
import * as core from '@nanite/core';
import * as testing from '@nanite/core/testing';

test('@nanite/core exposes the documented entry points', () => {
  for (const name of ['Agent', 'Mapper', 'Actor', 'Expose', 'defineActor', 'NaniteError', 'ERROR_CODES', 'createTransport', 'MemoryTransport', 'decodePacket', 'JsonSerializer']) {
    expect(core).toHaveProperty(name);
  }
});

test('a request round trip through the built package', async () => {
  const agent = new core.Agent({ transport: 'memory://public-api', identity: 'fred', actors: [core.defineActor('simple', { echo: (p) => p ?? 'hello nanite' })] });
  const mapper = new core.Mapper({ transport: 'memory://public-api' });
  await agent.start();
  await mapper.start();
  await expect(mapper.call('/simple/echo')).resolves.toEqual({ result: 'hello nanite', agent: 'fred', attempts: 1 });
  await mapper.close();
  await agent.stop();
});

describe('@nanite/core/testing', () => {
  // In a plain Node process (no test runner): what a transport author's runner-less tooling sees.
  const node = (code: string): string => execFileSync(process.execPath, ['-e', code], { cwd: __dirname, encoding: 'utf8' }).trim();

  test('exposes the transport contract suite by its public name', () => {
    expect(typeof testing.describeTransportContract).toBe('function');
    expect(testing.CONTRACT_ROUTES).toContain('/contract/echo');
  });

  test('loads no test framework, and without runner globals asks for them with a typed error', () => {
    const out = node(`
      const t = require('@nanite/core/testing');
      const loaded = Object.keys(require.cache).filter((k) => /node_modules[\\\\/](jest|@jest|vitest|mocha)/.test(k));
      let code;
      try { t.describeTransportContract({ name: 'x', cluster: () => ({ transport: () => { throw new Error('unused'); } }), capabilities: {} }); } catch (e) { code = e.code; }
      console.log(JSON.stringify({ loaded, code }));
    `);
    expect(JSON.parse(out)).toEqual({ loaded: [], code: 'NANITE_ERR_INVALID_ARGUMENT' });
  });
});
