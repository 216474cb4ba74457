#!/usr/bin/env node
// In-process cost of secure mode's hot path, per message, without a broker: the mapper seals a
// request and encodes it (JsonSerializer), the agent decodes and opens it, seals the result, the
// mapper decodes and opens that. Compared with the plain path (JsonSerializer encode/decode of the
// same packets). CPU µs per request (both sides summed), medians of `rounds`.
//   node bench/secure/codec.micro.mjs [--n=20000] [--rounds=5] [--payload=100] [--baseline=/path/to/other/checkout]
// Needs a built packages/core (reads its dist internals) and the CLI (for the certificates).
// --baseline adds the secure path of another built checkout, interleaved in the same process.
import { execSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const require = createRequire(import.meta.url);
const distOf = (tree) => (p) => require(join(tree, 'packages', 'core', 'dist', p));
const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')).map(([k, v]) => [k, v ?? 'true']));
const n = Number(args.n ?? 20000);
const rounds = Number(args.rounds ?? 5);
const size = Number(args.payload ?? 100);

const { X509Certificate, createPrivateKey } = await import('node:crypto');
const pki = join(tmpdir(), `nanite-micro-pki-${process.pid}`);
const cli = `node ${join(root, 'packages', 'cli', 'dist', 'bin.js')}`;
execSync(`${cli} certs init --dir ${pki} && ${cli} certs issue fred --dir ${pki} && ${cli} certs issue web --dir ${pki} --role mapper`, { stdio: 'ignore' });
const pem = (name) => readFileSync(join(pki, name));
const files = { ca: pem('ca.crt'), fred: [pem('fred.crt'), pem('fred.key')], web: [pem('web.crt'), pem('web.key')] };
rmSync(pki, { recursive: true, force: true });

const payload = { data: 'x'.repeat(size) };
const request = (id) => ({ v: 1, type: 'request', id, route: '/bench/echo', replyTo: 'web#abc', timeout: 30000, hops: 0, payload });
const result = (id) => ({ v: 1, type: 'result', id, from: 'fred', ok: true, result: payload });

/** The request/response of one checkout's secure codec and JSON serializer. */
function secureSystem(tree) {
  const dist = distOf(tree);
  const { LocalCredential } = dist('serializer/secure/credential.js');
  const { SecureCodec } = dist('serializer/secure/secure-codec.js');
  const { JsonSerializer } = dist('serializer/json.serializer.js');
  const ca = new X509Certificate(files.ca);
  const codec = (name) => new SecureCodec({ local: new LocalCredential(new X509Certificate(files[name][0]), createPrivateKey(files[name][1]), name, Date.now()), cas: [ca], maxSkew: 600_000, maxPeers: 16 });
  const agent = codec('fred');
  const mapper = codec('web');
  const reg = mapper.open(agent.sign({ v: 1, type: 'register', identity: 'fred' }));
  mapper.peers.bind('fred', reg.hex);
  const json = new JsonSerializer();
  const first = agent.open(json.decode(json.encode(mapper.seal(request(0), 'fred'))));
  agent.peers.bind('web#abc', first.hex);
  return (id) => {
    const out = json.encode(mapper.seal(request(id), 'fred'));
    const req = agent.open(json.decode(out));
    if (typeof req === 'string') throw new Error(req);
    const back = json.encode(agent.seal(result(req.packet.id), 'web#abc'));
    const res = mapper.open(json.decode(back));
    if (typeof res === 'string') throw new Error(res);
    if (res.packet.id !== id) throw new Error('wrong result');
  };
}
const json = new (distOf(root)('serializer/json.serializer.js').JsonSerializer)();
function plainPath(id) {
  const req = json.decode(json.encode(request(id)));
  json.decode(json.encode(result(req.id)));
}
const systems = [
  { name: 'plain', fn: plainPath },
  { name: 'secure', fn: secureSystem(root) },
  ...(args.baseline ? [{ name: `secure (${args.baseline})`, fn: secureSystem(args.baseline) }] : []),
];

let id = 1;
function time(fn) {
  const t = process.cpuUsage();
  for (let i = 0; i < n; i++) fn(id++);
  const d = process.cpuUsage(t);
  return (d.user + d.system) / n;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const sys of systems) time(sys.fn);
const samples = systems.map(() => []);
for (let r = 0; r < rounds; r++) systems.forEach((sys, i) => samples[i].push(time(sys.fn)));
const plain = median(samples[0]);
console.log(`payload ${size} B, ${n} requests × ${rounds} interleaved rounds, CPU µs per request (both sides), medians:`);
systems.forEach((sys, i) => {
  const m = median(samples[i]);
  console.log(`  ${sys.name}: ${m.toFixed(2)}${i === 0 ? '' : ` (+${(m - plain).toFixed(2)} over plain)`}`);
});
