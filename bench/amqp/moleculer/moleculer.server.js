// Moleculer service 'bench' with action 'echo' (returns its params) over the AMQP transporter. argv: url namespace tuned(0|1)
'use strict';
const { ServiceBroker } = require('moleculer');
const [url, namespace, tuned] = process.argv.slice(2);
const options = tuned === '1' ? { url, prefetch: 256, socketOptions: { noDelay: true } } : { url };
const broker = new ServiceBroker({ namespace, nodeID: 'bench-server', transporter: { type: 'AMQP', options }, logger: false });
broker.createService({ name: 'bench', actions: { echo: (ctx) => ctx.params } });
broker.start().then(() => process.stdout.write('ready\n'));
process.on('SIGTERM', () => broker.stop().then(() => process.exit(0)));
