// Actor module for `nanite agent --actors examples/discovery/services.js`: the services this agent
// provides come from NANITE_SERVICES, e.g. NANITE_SERVICES="billing=tcp://10.0.0.5:9000,mail=tcp://10.0.0.5:2525".
'use strict';
const { discoveryActor } = require('./discovery-actor');

const services = Object.fromEntries(
  (process.env.NANITE_SERVICES ?? '')
    .split(',')
    .map((pair) => pair.trim())
    .filter((pair) => pair.includes('='))
    .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
);

module.exports = discoveryActor(services);
