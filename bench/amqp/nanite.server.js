// Nanite agent serving /bench/sum (concurrency 256 = prefetch 256).
'use strict';
const { Agent, defineActor } = require('@nanite/core');
const [url] = process.argv.slice(2);
const agent = new Agent({ transport: url, identity: 'bench-agent', concurrency: 256, actors: [defineActor('bench', { sum: (p) => p.a + p.b })] });
agent.start().then(() => process.stdout.write('ready\n'));
process.on('SIGTERM', () => agent.stop().then(() => process.exit(0)));
