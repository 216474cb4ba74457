#!/usr/bin/env node
// What holds chunk Buffers during an amqp:// result stream (issue #16; findings in BENCHMARKS.md,
// "Streams over AMQP"). Runs one Nanite stream (agent + mapper in this process, as in
// stream.bench.mjs), writes a V8 heap snapshot at a few points mid-stream from inside the reader's
// loop, and prints every live ArrayBuffer backing store of at least 32 KiB with its first retainer
// path, plus how many received chunks were already in V8's old generation when the reader got them
// (needs --allow-natives-syntax for that count; without it the count is skipped).
//
// Usage: node [--allow-natives-syntax] bench/stream-heap.mjs [--mib 256] [--snapshots 3] [--dir /tmp]
// Needs the built @nanite/core and RabbitMQ at NANITE_AMQP_URL. Removes what it declares and the
// snapshot files it wrote.
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import v8 from 'node:v8';
import { startBytesPair } from './lib/bytes-stream.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
};
const MIB = Number(arg('mib', 256));
const SNAPSHOTS = Number(arg('snapshots', 3));
const DIR = String(arg('dir', '/tmp'));
const URL_ = process.env.NANITE_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const CHUNK = 256 * 1024;
const COUNT = Math.ceil((MIB * 1024 * 1024) / CHUNK);
const block = randomBytes(CHUNK);

// %InYoungGeneration is V8 natives syntax: compiled only when the flag is on.
let isYoung;
try {
  isYoung = new Function('b', 'return %InYoungGeneration(b)');
} catch {
  isYoung = undefined;
}

/** Live backing stores of >= 32 KiB in a snapshot file, each with its first retainer path. */
function bigBuffers(file) {
  const s = JSON.parse(readFileSync(file, 'utf8'));
  const m = s.snapshot.meta;
  const NF = m.node_fields.length;
  const EF = m.edge_fields.length;
  const [iType, iName, iSize, iEdges] = ['type', 'name', 'self_size', 'edge_count'].map((f) => m.node_fields.indexOf(f));
  const [eType, eName, eTo] = ['type', 'name_or_index', 'to_node'].map((f) => m.edge_fields.indexOf(f));
  const nodeTypes = m.node_types[0];
  const edgeTypes = m.edge_types[0];
  const { nodes: N, edges: E, strings: S } = s;
  const count = N.length / NF;
  const retainers = Array.from({ length: count }, () => []);
  for (let i = 0, e = 0; i < count; i++) {
    for (const end = e + N[i * NF + iEdges] * EF; e < end; e += EF) {
      const t = edgeTypes[E[e + eType]];
      if (t === 'weak') continue;
      retainers[E[e + eTo] / NF].push([i, t === 'element' || t === 'hidden' ? `[${E[e + eName]}]` : S[E[e + eName]]]);
    }
  }
  const label = (i) => `${nodeTypes[N[i * NF + iType]]}:${S[N[i * NF + iName]].slice(0, 40)}`;
  const out = [];
  for (let i = 0; i < count; i++) {
    if (N[i * NF + iSize] < 32768 || !S[N[i * NF + iName]].includes('JSArrayBufferData')) continue;
    const path = [];
    const seen = new Set([i]);
    for (let cur = i, d = 0; d < 8; d++) {
      const r = retainers[cur].find(([p]) => !seen.has(p) && !S[N[p * NF + iName]].startsWith('('));
      if (!r) break;
      seen.add(r[0]);
      path.push(`${r[1]} <- ${label(r[0])}`);
      cur = r[0];
    }
    out.push({ bytes: N[i * NF + iSize], path: path.slice(1).join('  ') });
  }
  return out;
}

const prefix = `bench-heap-${process.pid}-${Date.now().toString(36)}`;
const { mapper, close } = await startBytesPair(URL_, prefix, COUNT, block);
const at = new Set(Array.from({ length: SNAPSHOTS }, (_, k) => Math.floor(((k + 1) * COUNT) / (SNAPSHOTS + 1))));
const files = [];
let n = 0;
let old = 0;
try {
  for await (const chunk of mapper.stream('/bytes/gen', undefined, { window: 16 })) {
    n++;
    if (isYoung && !isYoung(chunk.buffer)) old++;
    if (at.has(n)) files.push([n, v8.writeHeapSnapshot(join(DIR, `${prefix}-${n}.heapsnapshot`))]);
  }
} finally {
  await close();
}
for (const [chunkNo, file] of files) {
  const big = bigBuffers(file);
  rmSync(file);
  console.log(`chunk ${chunkNo}/${COUNT}: ${big.length} backing stores >= 32 KiB live, ${(big.reduce((a, b) => a + b.bytes, 0) / 1048576).toFixed(1)} MiB`);
  for (const b of big) console.log(`  ${String(b.bytes).padStart(7)}  ${b.path}`);
}
console.log(isYoung ? `chunks already in the old generation when read: ${old}/${n}` : 'old-generation count skipped (run with --allow-natives-syntax)');
