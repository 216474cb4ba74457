/** Runs the real built `nanite` binary in child processes for the integration suites. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/** The built binary. */
export const BIN = join(__dirname, '..', 'dist', 'bin.js');

/** The repository root (cwd of spawned commands). */
export const ROOT = join(__dirname, '..', '..', '..');

/** A running `nanite` process and what it printed so far. */
export interface CliProcess {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  /** Settles when the process has exited (with its status, or the signal that ended it). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** What a finished command printed and its exit status. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Tracks spawned processes so `killAll()` in afterEach leaves none behind. */
export class CliRunner {
  private readonly running = new Set<CliProcess>();

  constructor(private readonly env: Record<string, string> = {}) {}

  /** Starts `nanite ...args`. */
  start(args: readonly string[], options: { env?: Record<string, string>; stdin?: string } = {}): CliProcess {
    // The caller's NANITE_* settings must not leak into the commands under test.
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NANITE_')));
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...inherited, ...this.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const proc: CliProcess = {
      child,
      stdout: '',
      stderr: '',
      exited: new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal }))),
    };
    child.stdout!.setEncoding('utf8').on('data', (s: string) => (proc.stdout += s));
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (proc.stderr += s));
    if (options.stdin !== undefined) child.stdin!.end(options.stdin);
    this.running.add(proc);
    void proc.exited.then(() => this.running.delete(proc));
    return proc;
  }

  /** Runs `nanite ...args` to completion. */
  async run(args: readonly string[], options: { env?: Record<string, string>; stdin?: string } = {}): Promise<CliResult> {
    const proc = this.start(args, { stdin: '', ...options });
    const { code } = await proc.exited;
    return { code, stdout: proc.stdout, stderr: proc.stderr };
  }

  /** SIGKILLs every process still running and waits for them to be gone. */
  async killAll(): Promise<void> {
    const left = [...this.running];
    for (const p of left) p.child.kill('SIGKILL');
    await Promise.all(left.map((p) => p.exited));
  }
}

/** Polls `predicate` every 20 ms for at most `timeout` ms (cross-process: there is no event to await); `seen` adds what the process printed to the error. */
export async function eventually(predicate: () => boolean, what: string, timeout = 15_000, seen?: () => string): Promise<void> {
  const end = Date.now() + timeout;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what}${seen ? `; seen so far:\n${seen().slice(-2_000)}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
