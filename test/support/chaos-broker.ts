/**
 * A private RabbitMQ node (scripts/amqp-chaos-broker.sh) that a test may stop and start — never
 * the shared broker on 5672. Shared by the cross-package tests and the packages' own suites.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const CHAOS = join(__dirname, '..', '..', 'scripts', 'amqp-chaos-broker.sh');
const run = promisify(execFile);

export class ChaosBroker {
  readonly name: string;
  readonly port: number;
  readonly url: string;

  /** `tag` names the node; `basePort` spaces suites apart (the pid picks a port above it). */
  constructor(tag: string, basePort: number) {
    this.name = `${tag}-${process.pid}`;
    this.port = basePort + (process.pid % 500);
    this.url = `amqp://guest:guest@127.0.0.1:${this.port}`;
  }

  start(): Promise<unknown> {
    return this.run('start', this.name, String(this.port));
  }

  stopApp(): Promise<unknown> {
    return this.run('stop_app', this.name);
  }

  startApp(): Promise<unknown> {
    return this.run('start_app', this.name);
  }

  stop(): Promise<unknown> {
    return this.run('stop', this.name);
  }

  private run(...args: string[]): Promise<unknown> {
    return run(CHAOS, args, { timeout: 60_000 });
  }
}
