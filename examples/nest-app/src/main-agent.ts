/**
 * The agent process (RabbitMQ): `npm run agent -w @nanite/example-nest-app`.
 * SIGTERM / Ctrl-C: stop taking work, finish in-flight handlers, unregister, close the connection.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { redactUrl } from '@nanite/core';
import { AgentAppModule } from './agent/agent-app.module';
import { DEFAULT_AMQP_URL, naniteUrl } from './config';

async function main(): Promise<void> {
  const url = naniteUrl(DEFAULT_AMQP_URL);
  const identity = process.env.AGENT_ID ?? `inventory-${process.pid}`;
  const app = await NestFactory.createApplicationContext(AgentAppModule.forUrl(url, identity), { logger: ['error', 'warn', 'log'] });
  app.enableShutdownHooks();
  process.stdout.write(`agent ${identity} ready on ${redactUrl(url)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`agent failed: ${String(err)}\n`);
  process.exitCode = 1;
});
