// Moleculer broker calling bench.echo with the bench payload over the AMQP transporter. argv: url namespace tuned(0|1) name
'use strict';
const { ServiceBroker } = require('moleculer');
const { measure, payload } = require('../measure');
const body = payload();
const [url, namespace, tuned, name] = process.argv.slice(2);
const options = tuned === '1' ? { url, prefetch: 256, socketOptions: { noDelay: true } } : { url };
const broker = new ServiceBroker({ namespace, nodeID: 'bench-client', transporter: { type: 'AMQP', options }, logger: false, requestTimeout: 30_000 });
(async () => {
  await broker.start();
  await broker.waitForServices('bench', 10_000);
  await measure(name, () => broker.call('bench.echo', body));
  await broker.stop();
  process.exit(0);
})();
