// NestJS 12 microservice (RMQ transport) answering the 'echo' pattern (returns its payload). argv: url queue tuned(0|1)
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, MessagePattern, Payload, Transport } from '@nestjs/microservices';

const [url, queue, tuned] = process.argv.slice(2);

// Decorators applied by hand: this file is plain ESM JavaScript.
// With noAck: false (tuned), Nest leaves the ack to the handler (its documented pattern).
const manualAck = tuned === '1';
class EchoController {
  echo(data, ctx) {
    if (manualAck) ctx.getChannelRef().ack(ctx.getMessage());
    return data;
  }
}
Payload()(EchoController.prototype, 'echo', 0);
Ctx()(EchoController.prototype, 'echo', 1);
MessagePattern('echo')(EchoController.prototype, 'echo', Object.getOwnPropertyDescriptor(EchoController.prototype, 'echo'));
Controller()(EchoController);
class AppModule {}
Module({ controllers: [EchoController] })(AppModule);

const options = { urls: [url], queue, queueOptions: { durable: false } };
if (tuned === '1') Object.assign(options, { noAck: false, prefetchCount: 256, socketOptions: { connectionOptions: { noDelay: true } } });
const app = await NestFactory.createMicroservice(AppModule, { transport: Transport.RMQ, options, logger: false });
await app.listen();
process.stdout.write('ready\n');
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
