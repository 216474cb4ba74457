/** Runs examples/fastify-app/server.js as a user would (a child process) and stops it with SIGTERM. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/** The example's directory. */
export const EXAMPLE_DIR = join(__dirname, '..', '..', '..', 'examples', 'fastify-app');

/** A running example server. */
export interface RunningExample {
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** Everything it logged so far (pino JSON lines). */
  output: () => string;
  /** Sends SIGTERM; resolves with the exit code and how long the drain took. */
  stop: () => Promise<{ code: number | null; ms: number }>;
}

/** Starts the example on a free port with `env`; resolves once it logs its Control Tower address. */
export function startExample(env: Record<string, string>): Promise<RunningExample> {
  const child: ChildProcess = spawn(process.execPath, ['server.js'], {
    cwd: EXAMPLE_DIR,
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'info', NANITE_DEMO_TRAFFIC: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      out += chunk.toString('utf8');
      const match = /"controlTower":"(http:\/\/[^"]+)\/nanite\/"/.exec(out);
      if (!match) return;
      child.stdout!.off('data', onData);
      child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
      resolve({
        base: match[1]!,
        output: () => out,
        stop: async () => {
          const t = Date.now();
          child.kill('SIGTERM');
          const code = await exited;
          return { code, ms: Date.now() - t };
        },
      });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => (out += c.toString('utf8')));
    void exited.then((code) => reject(new Error(`the example exited (${code}) before listening:\n${out}`)));
  });
}
