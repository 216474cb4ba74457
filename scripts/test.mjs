#!/usr/bin/env node
// `npm test`: make sure the broker (and browser) the suites need are there, build and typecheck
// every package, then run every jest project (unit, integration, browser) with open-handle
// detection on: first on the Node running this script, then again on Node 24 (the registry's
// `node@24` package, fetched by npx) unless this already is Node 24. NANITE_TEST_NODE picks that
// second version (e.g. `22`), or `none` to skip it. Extra arguments go to jest, e.g.
// `npm test -- --selectProjects unit`.
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
const jestArgs = ['--detectOpenHandles', ...extra];
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  console.error(`\nNode ${process.versions.node} is outside the supported range (engines: >=22.12); the suites run anyway.\n`);
}
const status = run('npx', ['jest', ...jestArgs]);
const second = process.env.NANITE_TEST_NODE ?? '24';
if (second === 'none' || Number(second) === major) process.exit(status);
console.log(`\n== The same suites on Node ${second} (npx -p node@${second}) ==\n`);
// jest's own entry file under that node binary: `npx -p node@N node` puts it first on PATH, so the
// child processes the suites spawn (CLI runs, fixtures) get it too.
const again = run('npx', ['-y', '-p', `node@${second}`, 'node', 'node_modules/jest/bin/jest.js', ...jestArgs]);
process.exit(status !== 0 ? status : again);
