// A caller of the simple agents with the typed view: the editor completes `/simple/echo` and
// knows what it returns, from simple.js itself (no code generation; JSDoc types in plain JS).
//
//   npx nanite agent --actors examples/simple-agent/simple.js --token fred     (and bob)
//   NANITE_URL=amqp://guest:guest@localhost:5672 node examples/simple-agent/caller.js
// @ts-check
'use strict';
const { Mapper } = require('@nanite/core');

/** @typedef {import('@nanite/core').RoutesOf<[typeof import('./simple').Simple]>} Routes */

async function main() {
  const mapper = new Mapper({ transport: process.env.NANITE_URL ?? 'amqp://guest:guest@localhost:5672' });
  await mapper.start();
  // The same mapper, typed: unknown routes and wrong payloads are editor errors.
  const api = /** @type {import('@nanite/core').TypedMapper<Routes>} */ (mapper.typed());
  try {
    await mapper.waitForAgents({ route: '/simple/echo', timeout: 5_000 });
    const hello = await api.request('/simple/echo'); // 'hello nanite'
    const all = await api.request('/simple/echo', 'hi', { selector: 'all' }); // { fred: { ok: true, result: 'hi' }, ... }
    console.log(hello, Object.fromEntries(Object.entries(all).map(([agent, o]) => [agent, o.ok ? o.result : o.error.code])));
  } finally {
    await mapper.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
