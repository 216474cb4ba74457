#!/usr/bin/env node
// CPU cost of protecting one request/result message, per message (µs of process CPU time):
//   - the original Nanite's way: RSA-2048 signature by the sender + RSA-OAEP-wrapped AES key for
//     the recipient (PKCS#7 sign + encrypt per message), and the recipient's decrypt + verify;
//   - secure mode's way: AES-256-GCM under a per-pair session key (X25519 + HKDF once per peer),
//     sequence number as nonce — what SecureCodec does per unicast packet, cipher object included.
//   node bench/secure/rsa-vs-session.bench.mjs [--n=2000] [--rounds=5]
// Interleaved rounds, medians; CPU time (process.cpuUsage), so the shared machine's load matters less.
import { constants, createCipheriv, createDecipheriv, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes, sign, verify } from 'node:crypto';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const n = Number(args.n ?? 2000);
const rounds = Number(args.rounds ?? 5);
const body = Buffer.from(JSON.stringify({ v: 1, type: 'request', id: 1, route: '/bench/sum', replyTo: 'web#1', payload: { a: 1, b: 2 }, timeout: 30000, hops: 0 }));

const sender = generateKeyPairSync('rsa', { modulusLength: 2048 });
const recipient = generateKeyPairSync('rsa', { modulusLength: 2048 });
function rsaSeal() {
  const signature = sign('sha256', body, sender.privateKey);
  const key = randomBytes(32);
  const iv = randomBytes(16);
  const c = createCipheriv('aes-256-cbc', key, iv);
  const ct = Buffer.concat([c.update(body), c.final()]);
  return { wrapped: publicEncrypt({ key: recipient.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING }, key), iv, ct, signature };
}
function rsaOpen(m) {
  const key = privateDecrypt({ key: recipient.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING }, m.wrapped);
  const d = createDecipheriv('aes-256-cbc', key, m.iv);
  const pt = Buffer.concat([d.update(m.ct), d.final()]);
  if (!verify('sha256', pt, sender.publicKey, m.signature)) throw new Error('bad signature');
}

const sessionKey = randomBytes(32);
const aad = randomBytes(44);
const iv = Buffer.alloc(12);
let seq = 0;
function gcmSeal() {
  iv.writeUIntBE(++seq, 6, 6);
  const c = createCipheriv('aes-256-gcm', sessionKey, iv);
  c.setAAD(aad);
  const ct = c.update(body);
  c.final();
  return { seq, ct, tag: c.getAuthTag() };
}
function gcmOpen(m) {
  iv.writeUIntBE(m.seq, 6, 6);
  const d = createDecipheriv('aes-256-gcm', sessionKey, iv);
  d.setAAD(aad);
  d.setAuthTag(m.tag);
  d.update(m.ct);
  d.final();
}

/** CPU µs per call of `run(count)` after `setup(count)` (not timed). */
function cpu({ setup = () => undefined, run }, count) {
  const state = setup(count);
  const t = process.cpuUsage();
  run(count, state);
  const u = process.cpuUsage(t);
  return (u.user + u.system) / count;
}
const cases = {
  'RSA-2048 sign + encrypt (original Nanite), seal': { run: (k) => { for (let i = 0; i < k; i++) rsaSeal(); } },
  'RSA-2048 decrypt + verify (original Nanite), open': { setup: () => rsaSeal(), run: (k, m) => { for (let i = 0; i < k; i++) rsaOpen(m); } },
  'AES-256-GCM session key (secure mode), seal': { run: (k) => { for (let i = 0; i < k; i++) gcmSeal(); } },
  'AES-256-GCM session key (secure mode), open': { setup: (k) => Array.from({ length: k }, gcmSeal), run: (k, ms) => { for (const m of ms) gcmOpen(m); } },
};
const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let r = 0; r < rounds; r++) for (const [k, c] of Object.entries(cases)) samples[k].push(cpu(c, k.startsWith('RSA') ? Math.max(50, n / 20) : n * 10));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = Object.entries(samples).map(([k, v]) => [k, median(v)]);
console.log(`| per message, CPU µs (median of ${rounds} rounds) | µs |\n|---|---|`);
for (const [k, v] of rows) console.log(`| ${k} | ${v.toFixed(1)} |`);
const rsa = rows[0][1] + rows[1][1];
const gcm = rows[2][1] + rows[3][1];
console.log(`\nseal + open: RSA ${rsa.toFixed(0)} µs, AES-GCM session ${gcm.toFixed(1)} µs (${(rsa / gcm).toFixed(0)}× cheaper)`);
