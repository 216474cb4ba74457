/**
 * The HTTP API process (RabbitMQ): `npm run api -w @nanite/example-nest-app`, then
 * `curl 'localhost:3000/calc/add?a=1&b=2'`.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { ApiAppModule } from './api/api-app.module';
import { DEFAULT_AMQP_URL, httpPort, naniteUrl } from './config';

async function main(): Promise<void> {
  const url = naniteUrl(DEFAULT_AMQP_URL);
  const app = await NestFactory.create<NestFastifyApplication>(ApiAppModule.forUrl(url), new FastifyAdapter(), { logger: ['error', 'warn', 'log'] });
  app.enableShutdownHooks();
  await app.listen(httpPort(), '127.0.0.1');
  process.stdout.write(`api listening on ${await app.getUrl()}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`api failed: ${String(err)}\n`);
  process.exitCode = 1;
});
