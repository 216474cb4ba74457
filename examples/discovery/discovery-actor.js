// The discovery actor: an agent answers "where is service X?" for the services it provides.
'use strict';
const { defineActor } = require('@nanite/core');

/**
 * An actor whose `/discovery/where` answers with the address of `service` when this agent
 * provides it, and `null` otherwise (the surveyor keeps only the addresses).
 * @param {Record<string, string>} services service name -> address, e.g. { billing: 'tcp://10.0.0.5:9000' }
 */
function discoveryActor(services) {
  return defineActor('discovery', {
    /** @param {unknown} service */
    where: (service, ctx) => {
      const address = typeof service === 'string' ? services[service] : undefined;
      return address === undefined ? null : { service, address, agent: ctx.agent };
    },
    /** Every service this agent provides. */
    list: () => Object.keys(services).sort(),
  });
}

module.exports = { discoveryActor };
