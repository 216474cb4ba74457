#!/usr/bin/env node
/** The `nanite` executable. */
import { EXIT } from './exit-codes';
import { processIo } from './io';
import { formatError } from './output';
import { main } from './program';

// `nanite agents | head -1`: the reader went away; that is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? EXIT.OK);
    throw err;
  });
}

main(process.argv, processIo()).then(
  (code) => {
    // A forced stop leaves connections open on purpose: end now instead of waiting for them.
    if (code === EXIT.INTERRUPTED) process.exit(code);
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`${formatError(err)}\n`);
    process.exitCode = EXIT.FAILURE;
  },
);
