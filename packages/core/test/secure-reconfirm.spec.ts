/**
 * A peer that knew our key may forget it (its table full, or flooded with fresh keys) and has no
 * way to say so: our frames without the credential are dropped there as `unknown-peer`. A frame
 * carries the credential again once the peer has not answered for RECONFIRM_MS, so the session
 * comes back on its own, at the cost of one credential per RECONFIRM_MS on a one-way flow.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { LocalCredential } from '../src/serializer/secure/credential';
import { decodeFrame, type SealedFrame } from '../src/serializer/secure/frame';
import { RECONFIRM_MS } from '../src/serializer/secure/peer-table';
import { SecureCodec } from '../src/serializer/secure/secure-codec';
import { issue, makeCa, type TestCa } from './pki';

let ca: TestCa;
beforeAll(async () => {
  ca = await makeCa();
});

const request = (id: number) => ({ v: 1, type: 'request', id, route: '/a/b', replyTo: 'web', timeout: 0, hops: 0, payload: id }) as { type: string };
const result = (id: number) => ({ v: 1, type: 'result', id, from: 'fred', ok: true, payload: id });
const sec = (outer: Record<string, unknown> | undefined) => (outer!.sec as Buffer).length;

/** An agent and a mapper codec (tables of 16 peers) on one controlled clock, after the exchange their links make (Register, then a request and its answer). */
async function pair() {
  let t = Date.now();
  const clock = { now: () => t, advance: (ms: number) => void (t += ms) };
  const codec = async (name: string) => {
    const id = await issue(ca, name);
    return new SecureCodec({ local: new LocalCredential(new X509Certificate(id.cert), createPrivateKey(id.key), name, t), cas: [new X509Certificate(ca.pem)], maxSkew: 600_000, maxPeers: 16, now: clock.now });
  };
  const agent = await codec('fred');
  const mapper = await codec('web');
  const reg = mapper.open(agent.sign({ v: 1, type: 'register', identity: 'fred' }));
  if (typeof reg === 'string') throw new Error(reg);
  mapper.peers.bind('fred', reg.hex);
  const first = agent.open(mapper.seal(request(0), 'fred'));
  if (typeof first === 'string') throw new Error(first);
  agent.peers.bind('web', first.hex);
  expect(typeof mapper.open(agent.seal(result(0), 'web'))).toBe('object');
  const evil = await issue(ca, 'evil');
  /** Fills the agent's table with 16 fresh keys (one certificate's allowance is larger): the mapper's key, the oldest, is forgotten. */
  const flood = () => {
    for (let i = 0; i < 16; i++) {
      clock.advance(1); // keys of one identity are taken in the order of their frames
      const other = new SecureCodec({ local: new LocalCredential(new X509Certificate(evil.cert), createPrivateKey(evil.key), 'evil', t), cas: [new X509Certificate(ca.pem)], maxSkew: 600_000, maxPeers: 16, now: clock.now });
      expect(typeof agent.open(other.sign({ v: 1, type: 'advertise', mapper: 'evil' }))).toBe('object');
    }
    expect(agent.peers.at('web')).toBeUndefined();
  };
  return { agent, mapper, clock, flood };
}

const seqOf = (outer: Record<string, unknown> | undefined) => (decodeFrame(outer!.sec as Buffer) as SealedFrame).seq;

test('while the peer answers, frames to it carry no credential; after a silence of RECONFIRM_MS one does, once per RECONFIRM_MS', async () => {
  const { agent, mapper, clock } = await pair();
  const bare = sec(mapper.seal(request(1), 'fred'));
  for (let i = 2; i < 12; i++) {
    clock.advance(RECONFIRM_MS / 4);
    expect(typeof agent.open(mapper.seal(request(i), 'fred'))).toBe('object');
    expect(typeof mapper.open(agent.seal(result(i), 'web'))).toBe('object');
  }
  // Answered all along: no request carried the credential.
  expect(sec(mapper.seal(request(2), 'fred'))).toBe(bare);
  // A one-way flow (the agent stops answering): a frame every RECONFIRM_MS / 4 for 3 × RECONFIRM_MS.
  const sizes: number[] = [];
  for (let i = 0; i < 12; i++) {
    clock.advance(RECONFIRM_MS / 4);
    sizes.push(sec(mapper.seal(request(3), 'fred')));
  }
  expect(sizes.filter((n) => n > bare).length).toBe(3);
});

test('an agent that forgot the mapper\'s key takes its requests again within RECONFIRM_MS of its last answer, and its answers are opened', async () => {
  const { agent, mapper, clock, flood } = await pair();
  for (let i = 1; i <= 5; i++) expect(typeof mapper.open(agent.seal(result(i), 'web'))).toBe('object');
  flood();
  // Right after the last answer: sent bare, dropped as from an unknown peer (the agent cannot say so).
  expect(agent.open(mapper.seal(request(1), 'fred'))).toBe('unknown-peer');
  clock.advance(RECONFIRM_MS);
  const opened = agent.open(mapper.seal(request(2), 'fred'));
  if (typeof opened === 'string') throw new Error(opened);
  expect(opened.packet.payload).toBe(2);
  agent.peers.bind('web', opened.hex);
  // The session is whole again both ways: the agent's answers are not taken for replays.
  for (let i = 6; i <= 8; i++) expect(typeof mapper.open(agent.seal(result(i), 'web'))).toBe('object');
});

test('a peer learned again never seals under a sequence number (the AEAD nonce) already used with the same keys', async () => {
  const { agent, mapper, flood } = await pair();
  const used = new Set<number>();
  for (let i = 1; i <= 5; i++) used.add(seqOf(agent.seal(result(i), 'web')));
  flood();
  // The mapper's next frame carries its credential (as after RECONFIRM_MS of silence): the agent learns the key again.
  mapper.peers.at('fred')!.confirmed = false;
  const opened = agent.open(mapper.seal(request(2), 'fred'));
  if (typeof opened === 'string') throw new Error(opened);
  agent.peers.bind('web', opened.hex);
  for (let i = 6; i <= 10; i++) {
    const seq = seqOf(agent.seal(result(i), 'web'));
    expect(used.has(seq)).toBe(false);
    used.add(seq);
  }
});

test('a request sent before the agent forgot the mapper\'s key, replayed after it learned the key again, is refused', async () => {
  const { agent, mapper, clock, flood } = await pair();
  clock.advance(1);
  const captured = mapper.seal(request(7), 'fred');
  expect(typeof agent.open(captured)).toBe('object');
  flood();
  // The mapper's next frame carries its credential (as after RECONFIRM_MS of silence): the agent learns the key again.
  mapper.peers.at('fred')!.confirmed = false;
  expect(typeof agent.open(mapper.seal(request(8), 'fred'))).toBe('object');
  expect(agent.open(captured)).toBe('replay');
});

test('a clock set back does not hold the credential back for the time it went back', async () => {
  const { mapper, clock } = await pair();
  const bare = sec(mapper.seal(request(1), 'fred'));
  clock.advance(-60_000);
  expect(sec(mapper.seal(request(1), 'fred'))).toBeGreaterThan(bare + 100);
});
