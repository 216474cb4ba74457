// Nanite agent serving /bench/echo (concurrency 256 = prefetch 256), plain or in secure mode.
'use strict';
const { Agent, defineActor } = require('@nanite/core');
const { join } = require('node:path');
// argv: url [pki-dir: secure mode with bench-agent.crt/.key and ca.crt from `nanite certs`]
const [url, pki] = process.argv.slice(2);
const security = pki ? { security: { cert: join(pki, 'bench-agent.crt'), key: join(pki, 'bench-agent.key'), ca: join(pki, 'ca.crt') } } : {};
const agent = new Agent({ transport: url, identity: 'bench-agent', concurrency: 256, actors: [defineActor('bench', { echo: (p) => p })], ...security });
agent.start().then(() => process.stdout.write('ready\n'));
process.on('SIGTERM', () => agent.stop().then(() => process.exit(0)));
