// A caller awaiting a request keeps its process alive: on memory:// nothing else holds the event
// loop open, so a request waiting (for the discovery window, an agent, or a result) must not let
// Node exit silently mid-await. Runs in a child process, where an early exit is observable.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

const script = `
const { Agent, Mapper, defineActor } = require('@nanite/core');
(async () => {
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const agent = new Agent({ transport: 'memory://ka', identity: 'solo', logger: quiet, actors: [defineActor('a', {
    slow: () => new Promise((resolve) => setTimeout(resolve, 300, 'slow done')).then((v) => v),
  })] });
  const mapper = new Mapper({ transport: 'memory://ka', logger: quiet, discoveryWindow: 300 });
  await agent.start();
  await mapper.start();
  const all = await mapper.request('/a/slow', null, { selector: 'all' }); // waits out the discovery window
  const late = mapper.request('/b/late', null, { persistent: true, timeout: 2000 }); // waits for an agent
  setTimeout(() => new Agent({ transport: 'memory://ka', identity: 'late', logger: quiet, actors: [defineActor('b', { late: () => 'late done' })] }).start(), 100).unref();
  console.log(JSON.stringify({ all, late: await late }));
  process.exit(0);
})();
`;

test('pending requests and waits keep the process alive until they settle', async () => {
  const { stdout } = await run(process.execPath, ['-e', script], { cwd: __dirname, timeout: 10_000 });
  expect(JSON.parse(stdout)).toEqual({ all: { solo: { ok: true, result: 'slow done' } }, late: 'late done' });
});

// The other half: with nothing pending, a mapper's background timers (reaper, drain bound) never
// hold the process open, so a script that forgets close() still ends.
const idle = `
const { Agent, Mapper, defineActor } = require('@nanite/core');
(async () => {
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const agent = new Agent({ transport: 'memory://idle', identity: 'solo', logger: quiet, actors: [defineActor('a', { hi: () => 'hi' })] });
  const mapper = new Mapper({ transport: 'memory://idle', logger: quiet, discoveryWindow: 50, reapInterval: 10 });
  await agent.start();
  await mapper.start();
  console.log(JSON.stringify(await mapper.request('/a/hi', null, { timeout: 30000 })));
  mapper.on('agent:update', () => { throw new Error('a listener bug must not keep or kill the process'); });
})();
`;

test('an idle mapper left open lets the process exit', async () => {
  // Killed (and failing) if the settled request's 30 s deadline timer, or any background timer, held it open.
  const { stdout } = await run(process.execPath, ['-e', idle], { cwd: __dirname, timeout: 4_000 });
  expect(JSON.parse(stdout)).toBe('hi');
});
