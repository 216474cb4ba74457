#!/usr/bin/env node
/** The `nanite` executable. */
import { EXIT } from './exit-codes';
import { processIo } from './io';
import { formatError } from './output';
import { main } from './program';

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
