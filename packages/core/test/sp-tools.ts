/** Test helpers for the SP interop suites: spawn nanocat / nngcat, free ports, ipc paths, quiet loggers. */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A running nanocat or nngcat; {@link SpTool.kill} always ends it. */
export class SpTool {
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  constructor(command: string, args: string[]) {
    this.child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (c: Buffer) => (this.stdout += c.toString('latin1')));
    this.child.stderr?.on('data', (c: Buffer) => (this.stderr += c.toString('latin1')));
    this.exited = new Promise((resolve) => {
      this.child.once('error', (e) => {
        this.stderr += String(e);
        resolve(-1);
      });
      this.child.once('close', (code) => resolve(code));
    });
  }

  /** Resolves when stdout contains `text`; rejects after `ms` with what the tool printed. */
  async waitFor(text: string, ms = 10_000): Promise<void> {
    const until = Date.now() + ms;
    while (!this.stdout.includes(text)) {
      if (Date.now() > until) throw new Error(`tool did not print ${JSON.stringify(text)}; stdout=${JSON.stringify(this.stdout)} stderr=${JSON.stringify(this.stderr)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** SIGKILLs the tool unless it already ended; resolves when it is gone. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** Tracks tools and ipc paths of a test file so afterEach can end and remove them all. */
export class SpToolbox {
  private readonly tools: SpTool[] = [];
  private readonly paths: string[] = [];

  spawn(command: string, args: string[]): SpTool {
    const t = new SpTool(command, args);
    this.tools.push(t);
    return t;
  }

  ipcPath(): string {
    const p = join(tmpdir(), `nanite-sp-${process.pid}-${randomBytes(4).toString('hex')}.sock`);
    this.paths.push(p);
    return p;
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.tools.splice(0).map((t) => t.kill()));
    for (const p of this.paths.splice(0)) rmSync(p, { force: true });
  }
}

/** A TCP port that was free a moment ago (for tools that must listen). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** A raw TCP connection that records what it receives, for feeding hand-made bytes to an SP socket. */
export class RawPeer {
  received = Buffer.alloc(0);
  closed = false;
  readonly socket: Socket;
  private readonly done: Promise<void>;

  constructor(port: number) {
    this.socket = connect({ host: '127.0.0.1', port });
    this.socket.on('data', (c: Buffer) => (this.received = Buffer.concat([this.received, c])));
    this.socket.on('error', () => undefined);
    this.done = new Promise((resolve) => this.socket.once('close', () => {
      this.closed = true;
      resolve();
    }));
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Resolves once at least `n` bytes were received. */
  async receive(n: number, ms = 5_000): Promise<Buffer> {
    const until = Date.now() + ms;
    while (this.received.length < n) {
      if (Date.now() > until || this.closed) throw new Error(`received ${this.received.length} of ${n} bytes`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return this.received;
  }

  /** Resolves when the other side closed the connection. */
  whenClosed(): Promise<void> {
    return this.done;
  }

  async close(): Promise<void> {
    this.socket.destroy();
    await this.done;
  }
}

/** The port of a `tcp://host:port` URL. */
export function portOf(url: string): number {
  return Number(url.slice(url.lastIndexOf(':') + 1));
}
