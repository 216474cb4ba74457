#!/usr/bin/env node
// The `nanite` executable as npm links it. It lives outside dist/ so that `npm install` in a fresh
// checkout (before anything is built) can link it; it runs the compiled CLI.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const compiled = join(__dirname, '..', 'dist', 'bin.js');
if (!existsSync(compiled)) {
  process.stderr.write('nanite: the CLI is not built yet; run `npm run build` at the repository root first\n');
  process.exitCode = 2;
} else {
  require(compiled);
}
