/**
 * Arbitraries of the receive-path fuzz tests (fuzz-receive.spec.ts on memory://,
 * fuzz-receive.int.spec.ts on amqp://): random bytes, random JSON, and valid packets with one field
 * mutated into something hostile.
 *
 * A forgery is generated as plain data (shrinkable, readable in a counterexample) and turned into a
 * packet by {@link materialize} at send time, when the ids of the requests in flight are known.
 */
import fc from 'fast-check';
import { decodePacket } from '../src';

/** What a forgery is aimed at: the live agent, the live mapper and what they are doing now. */
export interface FuzzScene {
  /** Identity of the honest agent. */
  agent: string;
  /** Identity of the honest mapper. */
  mapper: string;
  /** The route honest traffic uses. */
  route: string;
  /** Ids of honest requests in flight now (what a sniffer on the broker would see). */
  inFlight(): readonly number[];
}

/** One forged message: where it goes and what it is. */
export interface Forgery {
  /** `agent`: the honest agent's inbox; `mapper`: the honest mapper's (heartbeats, results). */
  to: 'agent' | 'mapper';
  /** Raw bytes (byte transports deliver them as is; memory:// hands them over as an object). */
  bytes?: Buffer;
  /** A value to deliver (memory://) or to JSON-encode (amqp://). */
  packet?: unknown;
  /** True when it speaks for the honest agent (Register/Ping/UnRegister under its identity). */
  impersonates: boolean;
}

/** The plan of a mutated packet, as fast-check generates it. */
export interface MutationPlan {
  kind: 'register' | 'ping' | 'unregister' | 'advertise' | 'request' | 'push' | 'cancel' | 'result' | 'progress';
  /** Register/Ping/UnRegister under the honest agent's identity instead of a stranger's. */
  impersonate: boolean;
  /** Use the id of an honest request in flight (if any) instead of a random one. */
  inFlightId: boolean;
  pick: number;
  randomId: number;
  stranger: string;
  /** Which field to change (index into the packet's keys, or the extra keys), or none. */
  field: number;
  mutation: { op: 'set'; value: number } | { op: 'delete' } | { op: 'none' };
  /** Send it to the other side than its type says. */
  crossed: boolean;
  errorCode: string;
}

/** An object whose own keys are `__proto__` and `constructor`, as JSON.parse builds it from the wire. */
export function protoBomb(): unknown {
  return JSON.parse('{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"n":1}');
}

const HUGE_ROUTES = Array.from({ length: 5_000 }, (_, i) => ({ route: `/huge/r${i}`, idempotent: i % 2 === 0 }));
const LONG = 'A'.repeat(100_000);

/**
 * Hostile field values. `wire` drops those JSON cannot carry (NaN, Infinity, -0, undefined), which a
 * byte transport turns into null or 0 anyway.
 */
export function weirdValues(wire: boolean): unknown[] {
  const both: unknown[] = [
    '', 'x', LONG, true, false, null, [], {}, [1, 'a'], 0, -1, 1.5, 2 ** 53 - 1, 2 ** 53 + 2, -(2 ** 53 - 1),
    1e308, -1e300, Number.MAX_VALUE, Number.MIN_VALUE, protoBomb(), [protoBomb()], { route: '/x' },
    [], HUGE_ROUTES, [{ route: '', idempotent: true }], [{ route: '/fuzz/double' }], ['/fuzz/double'],
    { code: 'NANITE_ERR_FROM_A_NEWER_PEER', message: 'new', retryable: false },
    { code: 'NANITE_ERR_HANDLER', message: LONG, retryable: 'yes' },
    '__proto__', 'constructor', 'toString', '/fuzz/double', '../../etc/passwd', '<script>alert(1)</script>',
  ];
  return wire ? both : [...both, NaN, Infinity, -Infinity, -0, undefined, 10n ** 30n, Symbol('s'), () => 1, new Map([[1, 2]]), Object.create(null)];
}

const EXTRA_KEYS = ['__proto__', 'constructor', 'prototype', 'unknownField'];

/** fast-check arbitrary of mutation plans. */
export function mutationPlan(valueCount: number): fc.Arbitrary<MutationPlan> {
  return fc.record({
    kind: fc.constantFrom('register', 'ping', 'unregister', 'advertise', 'request', 'push', 'cancel', 'result', 'progress'),
    impersonate: fc.boolean(),
    inFlightId: fc.boolean(),
    pick: fc.nat(),
    randomId: fc.oneof(fc.nat({ max: 300 }), fc.nat()),
    stranger: fc.string({ minLength: 1, maxLength: 12 }),
    field: fc.nat({ max: 20 }),
    mutation: fc.oneof(
      { weight: 6, arbitrary: fc.record({ op: fc.constant('set' as const), value: fc.nat({ max: valueCount - 1 }) }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const) }) },
      { weight: 2, arbitrary: fc.record({ op: fc.constant('none' as const) }) },
    ),
    crossed: fc.boolean(),
    errorCode: fc.constantFrom('NANITE_ERR_HANDLER', 'NANITE_ERR_TIMEOUT', 'NANITE_ERR_NO_AGENT', 'NANITE_ERR_FROM_A_NEWER_PEER', '', 'constructor'),
  });
}

/** fast-check arbitrary of random bytes, random JSON texts and other junk for a side. */
export function junk(): fc.Arbitrary<Forgery> {
  const to = fc.constantFrom('agent' as const, 'mapper' as const);
  return fc.oneof(
    fc.record({ to, bytes: fc.uint8Array({ maxLength: 256 }).map((a) => Buffer.from(a)), impersonates: fc.constant(false) }),
    fc.record({ to, bytes: fc.string({ maxLength: 64 }).map((s) => Buffer.from(`{"v":1,"type":${s}`)), impersonates: fc.constant(false) }),
    fc.record({ to, packet: fc.jsonValue({ maxDepth: 4 }), impersonates: fc.constant(false) }),
    fc.record({
      to,
      packet: fc.record({ v: fc.constantFrom(1, 0, 2, '1'), type: fc.constantFrom('register', 'ping', 'unregister', 'advertise', 'request', 'push', 'cancel', 'result', 'progress', 'nope'), extra: fc.jsonValue({ maxDepth: 2 }) }),
      impersonates: fc.constant(false),
    }),
  );
}

/** Turns a plan into a forged packet aimed at the scene's agent or mapper. */
export function materialize(plan: MutationPlan, scene: FuzzScene, values: readonly unknown[]): Forgery {
  const stranger = `forged-${plan.stranger}`;
  const identity = plan.impersonate ? scene.agent : stranger;
  const live = scene.inFlight();
  const id = plan.inFlightId && live.length > 0 ? live[plan.pick % live.length]! : plan.randomId;
  const base = basePacket(plan, identity, id, stranger, scene);
  const keys = [...Object.keys(base), ...EXTRA_KEYS];
  const key = keys[plan.field % keys.length]!;
  if (plan.mutation.op === 'set') {
    // defineProperty, not assignment: `__proto__` must become an own key, as JSON.parse makes it.
    Object.defineProperty(base, key, { value: values[plan.mutation.value % values.length], enumerable: true, writable: true, configurable: true });
  } else if (plan.mutation.op === 'delete') {
    delete base[key];
  }
  keepOutOfAuthScope(base, scene);
  const agentBound = ['advertise', 'request', 'push', 'cancel'].includes(plan.kind);
  const to = agentBound !== plan.crossed ? 'agent' : 'mapper';
  const decoded = decodePacket(base);
  const impersonates = decoded.ok && 'identity' in decoded.packet && decoded.packet.identity === scene.agent;
  return { to, packet: base, impersonates };
}

function basePacket(plan: MutationPlan, identity: string, id: number, stranger: string, scene: FuzzScene): Record<string, unknown> {
  const replyTo = plan.impersonate ? scene.mapper : stranger;
  switch (plan.kind) {
    case 'register':
      return { v: 1, type: 'register', identity, routes: [{ route: scene.route, idempotent: true }], tags: [], status: 0, concurrency: 4, pingInterval: 1_000 };
    case 'ping':
      return { v: 1, type: 'ping', identity, status: 0, inFlight: 0 };
    case 'unregister':
      return { v: 1, type: 'unregister', identity };
    case 'advertise':
      return { v: 1, type: 'advertise', mapper: stranger };
    case 'request':
    case 'push':
      return { v: 1, type: plan.kind, id, route: scene.route, payload: { n: 1 }, replyTo, timeout: 1_000, hops: 0 };
    case 'cancel':
      return { v: 1, type: 'cancel', id, replyTo };
    case 'result':
      return plan.mutation.op === 'none' && plan.field % 2 === 0
        ? { v: 1, type: 'result', id, from: stranger, ok: false, error: { code: plan.errorCode, message: 'forged', retryable: false } }
        : { v: 1, type: 'result', id, from: stranger, ok: true, result: { n: -1, forged: true } };
    case 'progress':
      return { v: 1, type: 'progress', id, from: stranger, key: 'k', value: { forged: true } };
  }
}

/**
 * A *valid* request or cancel carrying the id of an honest request and the honest mapper's address is
 * indistinguishable from the real thing without authentication (the security issue's job, not this
 * one's): such forgeries are redirected to a stranger. Invalid copies keep the real address, since
 * those must be dropped without disturbing the real request.
 */
function keepOutOfAuthScope(p: Record<string, unknown>, scene: FuzzScene): void {
  const d = decodePacket(p);
  if (!d.ok) return;
  const q = d.packet;
  if ((q.type === 'request' || q.type === 'push' || q.type === 'cancel') && q.replyTo === scene.mapper && scene.inFlight().includes(q.id)) p.replyTo = 'forged-elsewhere';
  if ((q.type === 'result' || q.type === 'progress') && q.from === scene.agent) p.from = 'forged-elsewhere';
}

/** The honest handler's answer: honest results are checked against it. */
export function double(payload: unknown): { n: number } {
  return { n: (payload as { n: number }).n * 2 };
}

/** The request id (a number) of a handler's context: `<mapper>#<id>`. */
export function idOf(requestId: string): number {
  return Number(requestId.slice(requestId.lastIndexOf('#') + 1));
}
