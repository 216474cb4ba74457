// One real agent in its own process (bench/roster.bench.mjs SIGKILLs it): pings every --ping ms.
import nanite from '@nanite/core';

const { Agent, defineActor } = nanite;
const arg = (name) => process.argv[process.argv.indexOf(`--${name}`) + 1];
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const agent = new Agent({ transport: arg('url'), identity: arg('id'), logger: quiet, pingInterval: Number(arg('ping')), actors: [defineActor('bench', { noop: () => 1 })] });
await agent.start();
process.send?.({ ev: 'ready' });
