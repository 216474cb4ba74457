/**
 * Both applications in one process on memory:// (no broker): `npm run memory -w @nanite/example-nest-app`,
 * then `curl 'localhost:3000/calc/add?a=1&b=2'`. Ctrl-C closes the HTTP app first, then the agent app.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AgentAppModule } from './agent/agent-app.module';
import { ApiAppModule } from './api/api-app.module';
import { httpPort, naniteUrl } from './config';

async function main(): Promise<void> {
  const url = naniteUrl('memory://nest-example');
  const logger = ['error', 'warn', 'log'] as const;
  const agent = await NestFactory.createApplicationContext(AgentAppModule.forUrl(url, 'inventory-agent'), { logger: [...logger] });
  await agent.init();
  const api = await NestFactory.create<NestFastifyApplication>(ApiAppModule.forUrl(url), new FastifyAdapter(), { logger: [...logger] });
  await api.listen(httpPort(), '127.0.0.1');
  process.stdout.write(`api listening on ${await api.getUrl()} (agent in-process on ${url})\n`);

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: closing the HTTP app, then the agent app\n`);
    await api.close();
    await agent.close();
    process.stdout.write('stopped\n');
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, (s) => void stop(s));
}

main().catch((err: unknown) => {
  process.stderr.write(`example failed: ${String(err)}\n`);
  process.exitCode = 1;
});
