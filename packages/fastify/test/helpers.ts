/** Shared helpers of the @nanite/fastify tests. */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';

/** A fresh memory:// bus URL, so tests never hear each other. */
export function busUrl(): string {
  return `memory://fastify-${randomUUID()}`;
}

/** A promise with its resolve function outside (for handlers a test releases by hand). */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A pino destination that keeps every log line (parsed) in memory. */
export class LogCapture extends Writable {
  readonly lines: Array<Record<string, unknown>> = [];

  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) this.lines.push(JSON.parse(line) as Record<string, unknown>);
    done();
  }
}

/**
 * Resolves once `check()` holds, looking every 2 ms, at most `limitMs` (for states that emit no
 * event, e.g. an http.Server that stopped listening but still has connections).
 */
export async function until(check: () => boolean, what: string, limitMs = 2_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((resolve) => setTimeout(resolve, 2));
  }
}

/**
 * Runs `test/fixtures/<name>` in a child Node process (a real `process`, unlike Jest's sandbox:
 * warnings, unhandled rejections) against the built packages, and resolves once it has exited.
 */
export function runFixture(name: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, 'fixtures', name)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The JSON lines a fixture printed. */
export function jsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Listens on a free loopback port; returns the base URL. */
export async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return `http://127.0.0.1:${address.port}`;
}

/**
 * The "close mid-request" choreography: listens, waits for an agent serving `route`, sends GET /work
 * (whose handler must resolve `started` and then wait), calls `app.close()` once the handler runs,
 * and releases the handler only after the server stopped listening, so the answer goes out on a
 * keep-alive connection that was busy when server.close() ran (Node leaves those open).
 * `atResponse` tells whether the mapper was still open when the HTTP answer was sent.
 */
export async function closeMidRequest(
  app: FastifyInstance,
  options: { route: string; started: Promise<void>; release: () => void; waitMs: number },
): Promise<{ response: { status: number; body: unknown }; atResponse: string }> {
  let closed = false;
  let atResponse = '';
  app.addHook('onResponse', async () => {
    atResponse = `mapper ${app.nanite.mapper.isRunning ? 'open' : 'closed'}, close() ${closed ? 'done' : 'pending'}`;
  });
  // preClose hooks run in registration order: this one runs after the plugin's.
  const preClosed = deferred();
  app.addHook('preClose', async () => preClosed.resolve());
  const base = await listen(app);
  await app.nanite.waitForAgents({ route: options.route, timeout: options.waitMs });

  const response = fetch(`${base}/work`).then(async (r) => ({ status: r.status, body: (await r.json()) as unknown }));
  await options.started;
  const closing = app.close().then(() => (closed = true));
  await preClosed.promise;
  await until(() => !app.server.listening, 'the server to stop listening');
  options.release();
  const answer = await response;
  await closing;
  return { response: answer, atResponse };
}

/**
 * Resolves with `promise`, or rejects with "<what> still pending after <ms> ms" if it takes longer
 * (a generous bound for an outcome that must come promptly, not a timing measurement); the timer
 * is cleared either way.
 */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} still pending after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
