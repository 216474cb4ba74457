#!/usr/bin/env node
// The embedded Nanite demo: one mapper and three agents in one process on memory:// (no broker).
// Run it with `npm run demo` from the repository root.
'use strict';
const { Agent, Mapper, MemoryTransport, NaniteError, defineActor } = require('@nanite/core');

const tty = process.stdout.isTTY;
const paint = (code) => (s) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
const bold = paint('1');
const dim = paint('2');
const green = paint('32');
const red = paint('31');
const cyan = paint('36');
const say = (...lines) => console.log(...lines);
const section = (title) => say(`\n${bold(cyan(`== ${title}`))}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const show = (v) => JSON.stringify(v);

/** Each agent's load is a dial the demo turns, to show least_loaded following it. */
const load = { alpha: 0.2, beta: 0.5, gamma: 0.8 };

function actorsFor(identity) {
  return [
    defineActor('simple', {
      // Idempotent: safe to re-dispatch if this agent dies mid-request.
      echo: {
        handler: async (payload, ctx) => {
          await sleep(2); // a little work, so a crash can catch requests in flight
          return { echo: payload ?? 'hello nanite', by: ctx.agent };
        },
        idempotent: true,
      },
    }),
    defineActor('work', {
      async crunch(payload, ctx) {
        const steps = Number(payload) || 3;
        for (let i = 1; i <= steps; i++) {
          await sleep(20);
          ctx.progress('percent', Math.round((100 * i) / steps));
        }
        return `${identity} crunched ${steps} steps`;
      },
      explode() {
        const err = new Error('the reactor is out of coolant');
        err.code = 'E_COOLANT';
        throw err;
      },
      slow(_payload, ctx) {
        return new Promise((resolve, reject) => {
          const timer = setTimeout(() => resolve('finished (too late)'), 5_000);
          ctx.signal.addEventListener('abort', () => {
            clearTimeout(timer);
            say(dim(`   ${identity}: handler saw its AbortSignal fire (${ctx.signal.reason.code}) and stopped working`));
            reject(ctx.signal.reason);
          });
        });
      },
    }),
  ];
}

async function main() {
  const url = 'memory://demo';
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  // alpha gets a transport of its own so the demo can pull the plug on it (a crash, no goodbye).
  const alphaLink = new MemoryTransport({ name: 'demo' });
  const agents = [
    new Agent({ transport: alphaLink, identity: 'alpha', tags: ['eu'], actors: actorsFor('alpha'), status: () => load.alpha, pingInterval: 200, logger: quiet }),
    new Agent({ transport: url, identity: 'beta', tags: ['eu', 'gpu'], actors: actorsFor('beta'), status: () => load.beta, pingInterval: 200, logger: quiet }),
    new Agent({ transport: url, identity: 'gamma', tags: ['us'], actors: actorsFor('gamma'), status: () => load.gamma, pingInterval: 200, logger: quiet }),
  ];
  const mapper = new Mapper({ transport: url, timeout: 2_000, reapInterval: 100, logger: quiet });

  section('Start: three agents register, a mapper learns them (Advertise)');
  for (const a of agents) await a.start();
  await mapper.start();
  const known = await mapper.waitForAgents({ count: 3 });
  for (const a of known) say(`   ${bold(a.identity.padEnd(6))} status ${a.status.toFixed(2)}  tags [${a.tags.join(', ')}]  routes ${a.routes.join(' ')}`);

  section('least_loaded (default) follows the status agents report');
  for (let i = 0; i < 3; i++) {
    const { result } = await mapper.call('/simple/echo', `request ${i}`);
    say(`   request ${i} -> ${green(result.by)}   ${dim(`(loads alpha ${load.alpha} beta ${load.beta} gamma ${load.gamma})`)}`);
  }
  load.alpha = 0.9;
  load.gamma = 0.1;
  say(dim('   ...alpha gets busy, gamma frees up; the next ping carries the news'));
  await sleep(300);
  for (let i = 3; i < 6; i++) {
    const { result } = await mapper.call('/simple/echo', `request ${i}`);
    say(`   request ${i} -> ${green(result.by)}   ${dim(`(loads alpha ${load.alpha} beta ${load.beta} gamma ${load.gamma})`)}`);
  }

  section("selector 'all': fan out, one result per agent identity");
  const all = await mapper.request('/simple/echo', 'hi everyone', { selector: 'all' });
  for (const [identity, outcome] of Object.entries(all)) say(`   ${bold(identity.padEnd(6))} ${outcome.ok ? show(outcome.result) : red(outcome.error.code)}`);

  section('target and tags');
  say(`   target 'beta'   -> ${green((await mapper.call('/simple/echo', null, { target: 'beta' })).agent)}`);
  say(`   tags ['eu','gpu'] -> ${green((await mapper.call('/simple/echo', null, { tags: ['eu', 'gpu'] })).agent)}`);
  const us = await mapper.request('/simple/echo', null, { selector: 'all', tags: ['us'] });
  say(`   all with tag 'us' -> ${Object.keys(us).join(', ')}`);

  section('progress: intermediate results arrive before the final one');
  const result = await mapper.request('/work/crunch', 4, {
    onProgress: (key, value, agent) => say(`   ${dim(`progress from ${agent}:`)} ${key} = ${value}`),
  });
  say(`   result: ${green(result)}`);

  section('a handler error reaches the caller as a structured error');
  try {
    await mapper.request('/work/explode');
  } catch (err) {
    say(`   ${red(err.code)}: ${err.message}   data ${show(err.data)}`);
  }

  section('a timeout rejects the caller and aborts the handler');
  try {
    await mapper.request('/work/slow', null, { timeout: 150 });
  } catch (err) {
    say(`   ${red(err.code)}: ${err.message}`);
  }
  await sleep(20);

  section('no live agent for a route: fail fast, no hanging');
  const t0 = Date.now();
  try {
    await mapper.request('/billing/charge', { amount: 3 });
  } catch (err) {
    say(`   ${red(err.code)} after ${Date.now() - t0} ms: ${err.message}`);
  }

  section('failover: under steady load, one agent stops cleanly and another crashes');
  let ok = 0;
  let failed = 0;
  const by = {};
  let running = true;
  const load8 = Array.from({ length: 8 }, async () => {
    while (running) {
      try {
        const r = await mapper.call('/simple/echo', 'steady', { selector: 'round_robin' });
        by[r.agent] = (by[r.agent] ?? 0) + 1;
        ok++;
      } catch (err) {
        failed++;
        say(red(`   request failed: ${err.code}`));
      }
      await sleep(1);
    }
  });
  await sleep(150);
  say(`   stopping ${bold('beta')} (drain: stop taking work, finish in-flight, unregister)...`);
  await agents[1].close();
  say(`   beta is gone; live agents now: ${mapper.agents().map((a) => a.identity).join(', ')}`);
  await sleep(100);
  say(`   ${bold('alpha')} crashes (no goodbye) with requests in flight...`);
  alphaLink.sever();
  await sleep(800); // alpha misses three pings (pingInterval 200 ms) and is reaped
  say(`   live agents now: ${mapper.agents().map((a) => a.identity).join(', ')}`);
  running = false;
  await Promise.all(load8);
  say(`   ${green(`${ok} requests succeeded`)}, ${failed ? red(`${failed} failed`) : '0 failed'}; answered by ${show(by)}`);
  say(`   re-dispatched by the mapper (sent to a gone agent, or idempotent and in flight on the crashed one): ${mapper.stats.redispatched}`);

  section('shutdown');
  await mapper.close();
  for (const a of agents) await a.close();
  await alphaLink.close();
  say(`   all closed. ${dim('Next: the same code over RabbitMQ with amqp:// URLs (see README).')}\n`);
  if (failed > 0) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err instanceof NaniteError ? `${err.code}: ${err.message}` : err);
  process.exit(1);
});
