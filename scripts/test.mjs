#!/usr/bin/env node
// `npm test`: make sure the broker (and browser) the suites need are there, build and typecheck
// every package, then run every jest project (unit, integration, browser) with open-handle
// detection on. Extra arguments go to jest, e.g. `npm test -- --selectProjects unit`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  return r.status ?? 1;
}

const extra = process.argv.slice(2);
const unitOnly = extra.includes('unit') && !extra.includes('integration');
if (!unitOnly) {
  if (!process.env.NANITE_AMQP_URL && run('bash', ['scripts/ensure-rabbitmq.sh']) !== 0) {
    console.error('\nThe integration suites need RabbitMQ; they will fail below (not skip).\n');
  }
  if (existsSync('scripts/ensure-chromium.sh') && run('bash', ['scripts/ensure-chromium.sh']) !== 0) {
    console.error('\nThe browser suites need Chromium; they will fail below (not skip).\n');
  }
  if (run('bash', ['scripts/ensure-sp-tools.sh']) !== 0) {
    console.error('\nThe SP interop suites need nanocat and nngcat; they will fail below (not skip).\n');
  }
}
if (run('npx', ['turbo', 'run', 'build', 'typecheck', '--output-logs=errors-only']) !== 0) process.exit(1);
// Cross-package tests in test/ belong to no workspace: typecheck them against the built packages.
if (run('npx', ['tsc', '-p', 'test/tsconfig.json']) !== 0) process.exit(1);
process.exit(run('npx', ['jest', '--detectOpenHandles', ...extra]));
