// The storage agent on its own (for amqp://): NANITE_URL=amqp://... node storage-agent.js
// @ts-check
'use strict';
const { Agent } = require('@nanite/core');
const { storage, DIR } = require('./storage');

const agent = new Agent({ transport: process.env.NANITE_URL || 'amqp://guest:guest@127.0.0.1:5672', identity: process.env.AGENT_ID, actors: [storage], concurrency: 8 });
agent.start().then(
  () => console.log(`storage agent ${agent.identity} serving ${DIR}`),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
const stop = () => void agent.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
