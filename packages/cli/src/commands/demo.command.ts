/** `nanite demo`: runs the embedded demo, the same script as `npm run demo` (examples/demo/demo.js). */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NaniteError } from '@nanite/core';
import type { Command } from 'commander';
import { examples, guarded, type RegisterCommand } from '../command-context';
import { EXIT } from '../exit-codes';
import type { CliIo } from '../io';
import { STOP_SIGNALS, type SignalSource } from '../signals';

/** Where the demo script lives relative to a repository checkout. */
export const DEMO_SCRIPT = join('examples', 'demo', 'demo.js');

/** Where the demo is looked for: the repository this package was built in (packages/cli/dist → the root), then `cwd`. */
export function demoCandidates(cwd: string): string[] {
  return [resolve(__dirname, '..', '..', '..', '..', DEMO_SCRIPT), resolve(cwd, DEMO_SCRIPT)];
}

/** The first existing demo script among `candidates`; throws `NANITE_ERR_INVALID_ARGUMENT` when there is none. */
export function findDemo(candidates: readonly string[]): string {
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', {
      message: `The demo ships with the Nanite repository (${DEMO_SCRIPT}) and was not found at ${candidates.join(' or ')}: run nanite demo from a checkout`,
    });
  }
  return found;
}

/**
 * Runs the demo script in a child Node process (its output goes straight to the terminal), forwards
 * SIGINT/SIGTERM to it, and returns its exit status.
 */
export function runDemo(args: readonly string[], io: CliIo, signals: SignalSource = process): Promise<number> {
  return guarded(io, async () => {
    const script = findDemo(demoCandidates(io.cwd));
    const direct = io.stdout === process.stdout && io.stderr === process.stderr;
    const child = spawn(process.execPath, [script, ...args], { cwd: io.cwd, stdio: ['inherit', direct ? 'inherit' : 'pipe', direct ? 'inherit' : 'pipe'] });
    child.stdout?.pipe(io.stdout, { end: false });
    child.stderr?.pipe(io.stderr, { end: false });
    const forward = STOP_SIGNALS.map((name) => [name, () => child.kill(name)] as const);
    for (const [name, fn] of forward) signals.on(name, fn);
    try {
      const code = await new Promise<number>((done, fail) => {
        child.once('error', fail);
        child.once('close', (status, signal) => done(status ?? (signal ? EXIT.INTERRUPTED : EXIT.FAILURE)));
      });
      return code;
    } finally {
      for (const [name, fn] of forward) signals.off(name, fn);
    }
  });
}

/** Registers `nanite demo`. */
export const registerDemo: RegisterCommand = (program: Command, ctx) => {
  program
    .command('demo')
    .description('run the embedded demo (memory:// transport, no broker needed): the same as npm run demo')
    .argument('[args...]', 'passed to the demo script')
    .allowUnknownOption()
    .addHelpText('after', examples(['nanite demo']))
    .action(async (args: string[]) => {
      ctx.setExit(await guarded(ctx.io, () => runDemo(args, ctx.io)));
    });
};
