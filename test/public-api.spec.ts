// Cross-package check through the packages' public names only (catches broken `exports` maps and
// missing exports): what a user writing `import ... from '@nanite/core'` gets.
import * as core from '@nanite/core';

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
