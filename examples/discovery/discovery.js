#!/usr/bin/env node
// Service discovery with a survey (nanomsg's SURVEYOR pattern): "who provides service X, at which
// address?" asked of every agent at once, answers collected until a deadline. Runs in one process on
// memory:// (no broker): `node examples/discovery/discovery.js [SERVICE] [DEADLINE_MS]`.
'use strict';
const { Agent, Mapper } = require('@nanite/core');
const { discoveryActor } = require('./discovery-actor');

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const service = process.argv[2] ?? 'billing';
  const deadline = Number(process.argv[3] ?? 300);
  const url = 'memory://discovery';
  const agents = [
    new Agent({ transport: url, identity: 'node-a', actors: [discoveryActor({ billing: 'tcp://10.0.0.5:9000', mail: 'tcp://10.0.0.5:2525' })], logger: quiet }),
    new Agent({ transport: url, identity: 'node-b', actors: [discoveryActor({ billing: 'tcp://10.0.0.6:9000' })], logger: quiet }),
    new Agent({ transport: url, identity: 'node-c', actors: [discoveryActor({ search: 'tcp://10.0.0.7:9200' })], logger: quiet }),
  ];
  const mapper = new Mapper({ transport: url, logger: quiet });
  try {
    for (const a of agents) await a.start();
    await mapper.start();
    // Straight after start the mapper knows no agent yet: the survey goes to all of them anyway.
    console.log(`agents known to the mapper: ${mapper.agents().length}`);
    console.log(`who provides "${service}"? (listening for ${deadline} ms)`);
    const found = [];
    for await (const answer of mapper.survey('/discovery/where', service, { timeout: deadline })) {
      if (answer.ok && answer.result) found.push(answer.result);
      else if (!answer.ok) console.log(`  ${answer.agent} failed: ${answer.error.code} ${answer.error.message}`);
    }
    found.sort((x, y) => x.agent.localeCompare(y.agent));
    for (const f of found) console.log(`  ${f.agent}: ${f.service} at ${f.address}`);
    if (found.length === 0) console.log('  nobody');

    // A late joiner answers the next survey as well; nobody has to register it first.
    const late = new Agent({ transport: url, identity: 'node-d', actors: [discoveryActor({ [service]: 'tcp://10.0.0.8:9000' })], logger: quiet });
    agents.push(late);
    await late.start();
    await sleep(10);
    const again = await mapper.survey('/discovery/where', service, { timeout: deadline }).collect();
    const addresses = again.filter((a) => a.ok && a.result).map((a) => a.result.address).sort();
    console.log(`after node-d joined: ${addresses.join(', ')}`);
  } finally {
    await mapper.close();
    for (const a of agents) await a.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
