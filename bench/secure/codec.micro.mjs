#!/usr/bin/env node
// In-process cost of secure mode's hot path, per message, without a broker: the mapper seals a
// request and encodes it (JsonSerializer), the agent decodes and opens it, seals the result, the
// mapper decodes and opens that. Compared with the plain path (JsonSerializer encode/decode of the
// same packets). CPU µs per request (both sides summed), medians of `rounds`.
//   node bench/secure/codec.micro.mjs [--n=20000] [--rounds=5] [--payload=100]
// Needs a built packages/core (reads its dist internals) and the CLI (for the certificates).
import { execSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const require = createRequire(import.meta.url);
const dist = (p) => require(join(root, 'packages', 'core', 'dist', p));
const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')).map(([k, v]) => [k, v ?? 'true']));
const n = Number(args.n ?? 20000);
const rounds = Number(args.rounds ?? 5);
const size = Number(args.payload ?? 100);

const { X509Certificate, createPrivateKey } = await import('node:crypto');
const { LocalCredential } = dist('serializer/secure/credential.js');
const { SecureCodec } = dist('serializer/secure/secure-codec.js');
const { JsonSerializer } = dist('serializer/json.serializer.js');

const pki = join(tmpdir(), `nanite-micro-pki-${process.pid}`);
const cli = `node ${join(root, 'packages', 'cli', 'dist', 'bin.js')}`;
execSync(`${cli} certs init --dir ${pki} && ${cli} certs issue fred --dir ${pki} && ${cli} certs issue web --dir ${pki} --role mapper`, { stdio: 'ignore' });
const ca = new X509Certificate(readFileSync(join(pki, 'ca.crt')));
const codec = (name) =>
  new SecureCodec({ local: new LocalCredential(new X509Certificate(readFileSync(join(pki, `${name}.crt`))), createPrivateKey(readFileSync(join(pki, `${name}.key`))), name, Date.now()), cas: [ca], maxSkew: 600_000, maxPeers: 16 });
const agent = codec('fred');
const mapper = codec('web');
rmSync(pki, { recursive: true, force: true });
const reg = mapper.open(agent.sign({ v: 1, type: 'register', identity: 'fred' }));
mapper.peers.bind('fred', reg.hex);
const first = agent.open(mapper.seal({ v: 1, type: 'request', id: 0, route: '/bench/echo', replyTo: 'web#abc', timeout: 0, hops: 0, payload: null }, 'fred'));
agent.peers.bind('web#abc', first.hex);
mapper.open(agent.seal({ v: 1, type: 'result', id: 0, from: 'fred', ok: true, result: null }, 'web#abc'));

const json = new JsonSerializer();
const payload = { data: 'x'.repeat(size) };
const request = (id) => ({ v: 1, type: 'request', id, route: '/bench/echo', replyTo: 'web#abc', timeout: 30000, hops: 0, payload });
const result = (id) => ({ v: 1, type: 'result', id, from: 'fred', ok: true, result: payload });

function securePath(id) {
  const out = json.encode(mapper.seal(request(id), 'fred'));
  const req = agent.open(json.decode(out));
  if (typeof req === 'string') throw new Error(req);
  const back = json.encode(agent.seal(result(req.packet.id), 'web#abc'));
  const res = mapper.open(json.decode(back));
  if (typeof res === 'string') throw new Error(res);
}
function plainPath(id) {
  const req = json.decode(json.encode(request(id)));
  json.decode(json.encode(result(req.id)));
}

let id = 1;
function time(fn) {
  const t = process.cpuUsage();
  for (let i = 0; i < n; i++) fn(id++);
  const d = process.cpuUsage(t);
  return (d.user + d.system) / n;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const s = [];
const p = [];
time(securePath);
time(plainPath);
for (let r = 0; r < rounds; r++) {
  s.push(time(securePath));
  p.push(time(plainPath));
}
const ms = median(s);
const mp = median(p);
console.log(`payload ${size} B, ${n} requests × ${rounds} rounds: secure ${ms.toFixed(2)} µs/request (both sides), plain ${mp.toFixed(2)}, secure extra ${(ms - mp).toFixed(2)} µs`);
