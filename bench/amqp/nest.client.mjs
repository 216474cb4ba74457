// NestJS 12 RMQ client proxy calling 'echo' with the bench payload. argv: url queue tuned(0|1) name
import 'reflect-metadata';
import { ClientProxyFactory, Transport } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import measureModule from './measure.js';
const body = measureModule.payload();

const [url, queue, tuned, name] = process.argv.slice(2);
const options = { urls: [url], queue, queueOptions: { durable: false } };
if (tuned === '1') Object.assign(options, { socketOptions: { connectionOptions: { noDelay: true } } });
const client = ClientProxyFactory.create({ transport: Transport.RMQ, options });
await client.connect();
await measureModule.measure(name, () => firstValueFrom(client.send('echo', body)));
await client.close();
process.exit(0);
