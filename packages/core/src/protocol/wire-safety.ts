/**
 * The one check of what may cross the wire, shared by every transport: the JSON serializer runs it
 * before encoding (amqp://) and memory:// runs it on every send and reply, so a value that one
 * transport cannot carry fails the same way, with the same `NANITE_ERR_PAYLOAD`, on all of them.
 *
 * It walks only the user's part of a packet (payload, result, progress value, error data). It is
 * on memory://'s hot path, so it allocates nothing while a value is fine: the path of the fault is
 * built while unwinding, and a cycle is told apart from mere depth only once the depth limit is hit.
 */
import { NaniteError } from '../errors';

/** Bounds of what crosses the wire. */
export interface WireLimits {
  /** Deepest nesting of arrays and objects. Default 128. */
  maxDepth: number;
  /** Largest encoded size in bytes (a lower-bound estimate on memory://, exact in the JSON serializer). Default 16 MiB (RabbitMQ 4's default `max_message_size`). */
  maxBytes: number;
}

/** Defaults of {@link WireLimits}. */
export const DEFAULT_WIRE_LIMITS: Readonly<WireLimits> = Object.freeze({ maxDepth: 128, maxBytes: 16 * 1024 * 1024 });

interface Walk {
  budget: number;
  readonly maxDepth: number;
  reason: string;
  /** The object found at the depth limit (a cycle when it is also one of its ancestors). */
  deep: object | undefined;
  /** Filled while unwinding from a fault only, so a clean walk allocates none of it. */
  path: Array<string | number> | undefined;
  ancestors: object[] | undefined;
}

const hasOwn = Object.prototype.hasOwnProperty;

function fail(w: Walk, reason: string): false {
  w.reason = reason;
  return false;
}

function visit(v: unknown, depth: number, w: Walk): boolean {
  switch (typeof v) {
    case 'string':
      w.budget -= v.length + 2;
      return w.budget >= 0 || fail(w, 'too large');
    case 'number':
    case 'boolean':
    case 'undefined':
      w.budget -= 1;
      return w.budget >= 0 || fail(w, 'too large');
    case 'bigint':
      return fail(w, 'a BigInt');
    case 'symbol':
      return fail(w, 'a symbol');
    case 'function':
      return fail(w, 'a function');
  }
  if (v === null) return true;
  const o = v as Record<string, unknown>;
  if (depth >= w.maxDepth) {
    w.deep = o;
    return fail(w, `nested deeper than ${w.maxDepth} levels`);
  }
  if (ArrayBuffer.isView(o)) {
    // JSON writes bytes as numbers (Buffer: {"type":"Buffer","data":[...]}): at least two bytes each.
    w.budget -= o.byteLength * 2;
    return w.budget >= 0 || fail(w, 'too large');
  }
  if (typeof o.toJSON === 'function') {
    // What JSON.stringify would write instead (Date, user classes).
    let out: unknown;
    try {
      out = (o.toJSON as () => unknown)();
    } catch (err) {
      return fail(w, `an object whose toJSON() threw (${err instanceof Error ? err.message : 'non-Error'})`);
    }
    return visit(out, depth + 1, w) || unwind(w, o, 'toJSON()');
  }
  w.budget -= 2;
  if (Array.isArray(o)) {
    for (let i = 0; i < o.length; i++) if (!visit(o[i], depth + 1, w)) return unwind(w, o, i);
    return w.budget >= 0 || fail(w, 'too large');
  }
  for (const k in o) {
    if (!hasOwn.call(o, k)) continue;
    w.budget -= k.length + 4;
    if (!visit(o[k], depth + 1, w)) return unwind(w, o, k);
  }
  return w.budget >= 0 || fail(w, 'too large');
}

function unwind(w: Walk, o: object, key: string | number): false {
  (w.path ??= []).push(key);
  (w.ancestors ??= []).push(o);
  return false;
}

/** `keys` run from the fault up to the root; a long path keeps its first and last segments. */
function pathOf(keys: ReadonlyArray<string | number>): string {
  const segment = (k: string | number): string =>
    typeof k === 'number' ? `[${k}]` : /^[A-Za-z_$][\w$]*$/.test(k) || k === 'toJSON()' ? `.${k}` : `[${JSON.stringify(k.length > 40 ? `${k.slice(0, 40)}…` : k)}]`;
  let out = '$';
  const n = keys.length;
  for (let i = n - 1; i >= 0; i--) {
    if (n > 16 && i === n - 9) {
      out += `…(${n - 12} more)…`;
      i = 3;
    }
    out += segment(keys[i]!);
  }
  return out;
}

/** Entries a flat value may have for {@link flatFits}; bigger ones take the full walk. */
const FLAT_MAX = 16;

/**
 * True when `o` is certainly fine: an object or array of at most {@link FLAT_MAX} entries, each a
 * number, boolean, null, undefined or string, within `maxBytes`. It makes the same checks in the
 * same order and counts the same bytes as {@link visit} does for such a value (not a byte view,
 * no `toJSON`, then the indices of an array or else the own enumerable keys), so its verdict is the
 * walk's whatever the prototype: no prototype check (`Object.getPrototypeOf` cost as much as all
 * the rest of this function). False means only "not sure": the full walk decides (and reports where the fault
 * is). Its entries sit at depth 1, below any `maxDepth` of 1 or more. May throw (a Proxy trap, a
 * getter): the caller catches it.
 */
function flatFits(o: object, maxBytes: number): boolean {
  if (ArrayBuffer.isView(o) || typeof (o as { toJSON?: unknown }).toJSON === 'function') return false;
  let budget = maxBytes - 2;
  if (Array.isArray(o)) {
    const n = o.length;
    if (n > FLAT_MAX) return false;
    for (let i = 0; i < n; i++) {
      const v: unknown = o[i];
      if (typeof v === 'string') budget -= v.length + 2;
      else if (typeof v === 'number' || typeof v === 'boolean' || v === undefined) budget -= 1;
      else if (v !== null) return false;
    }
    return budget >= 0;
  }
  let n = 0;
  for (const k in o) {
    if (++n > FLAT_MAX) return false;
    if (!hasOwn.call(o, k)) continue;
    const v: unknown = (o as Record<string, unknown>)[k];
    budget -= k.length + 4;
    if (typeof v === 'string') budget -= v.length + 2;
    else if (typeof v === 'number' || typeof v === 'boolean' || v === undefined) budget -= 1;
    else if (v !== null) return false;
  }
  return budget >= 0;
}

/**
 * Why `value` cannot cross the wire (e.g. `"a BigInt at $.total"`), or `undefined` when it can.
 * Never throws. `undefined` values, `NaN` and `Map`s are not faults: JSON carries them lossily.
 */
export function wireFault(value: unknown, limits: WireLimits = DEFAULT_WIRE_LIMITS): string | undefined {
  // Primitives first: most results are numbers or short strings.
  const t = typeof value;
  if (value === null || t === 'number' || t === 'boolean' || t === 'undefined') return undefined;
  if (t === 'string') return (value as string).length + 2 <= limits.maxBytes ? undefined : `too large (over ${limits.maxBytes} bytes)`;
  // Then small flat plain objects and arrays ({a: 1, b: 'x'}, [1, 2]): one loop, no walk state.
  if (t === 'object' && limits.maxDepth >= 1) {
    try {
      if (flatFits(value as object, limits.maxBytes)) return undefined;
    } catch (err) {
      return threw(err);
    }
  }
  const w: Walk = { budget: limits.maxBytes, maxDepth: limits.maxDepth, reason: '', deep: undefined, path: undefined, ancestors: undefined };
  try {
    if (visit(value, 0, w)) return undefined;
  } catch (err) {
    return threw(err);
  }
  const path = w.path ?? [];
  const ancestors = w.ancestors ?? [];
  if (w.deep && ancestors.includes(w.deep)) return `a cyclic reference at ${pathOf(path.slice(backEdge(ancestors, w.deep)))}`;
  const reason = w.reason === 'too large' ? `too large (over ${limits.maxBytes} bytes)` : w.reason;
  return path.length === 0 ? reason : `${reason} at ${pathOf(path)}`;
}

/** A throwing getter or Proxy trap: JSON.stringify would throw too. */
function threw(err: unknown): string {
  return `a value that threw while being read (${err instanceof Error ? err.message : 'non-Error'})`;
}

/**
 * Where a cycle first closes: walking down from the root (the end of `ancestors`), the index
 * after the first object met twice, so the path reported is that of the reference back to it.
 */
function backEdge(ancestors: readonly object[], deep: object): number {
  const seen = new Set<object>();
  for (let i = ancestors.length - 1; i >= 0; i--) {
    if (seen.has(ancestors[i]!)) return i + 1;
    seen.add(ancestors[i]!);
  }
  return seen.has(deep) ? 0 : ancestors.length;
}

/** The error every transport raises for a value that cannot cross the wire. */
export function payloadError(what: string, reason: string): NaniteError {
  return new NaniteError('NANITE_ERR_PAYLOAD', { message: `The ${what} cannot cross the wire: ${reason}`, data: { reason } });
}

/**
 * Throws `NANITE_ERR_PAYLOAD` when the user's part of `packet` cannot cross the wire: a request's
 * payload, a result (or an error's `data`), a progress value, a stream chunk's JSON data. Other packets carry only what the
 * protocol validated and pass untouched.
 */
export function assertWireSafe(packet: object, limits: WireLimits = DEFAULT_WIRE_LIMITS): void {
  const p = packet as { type?: unknown; route?: unknown; payload?: unknown; ok?: unknown; result?: unknown; error?: { message?: unknown; data?: unknown }; value?: unknown; key?: unknown; data?: unknown };
  // What failed is named only once something did (no string built per packet).
  let fault: string | undefined;
  switch (p.type) {
    case 'request':
    case 'push':
    case 'survey':
      fault = wireFault(p.payload, limits);
      if (fault !== undefined) throw payloadError(`payload of ${String(p.route)}`, fault);
      return;
    case 'result':
    case 'answer':
      if (p.ok === true) {
        fault = wireFault(p.result, limits);
        if (fault !== undefined) throw payloadError('result', fault);
        return;
      }
      fault = wireFault(p.error?.data, limits);
      if (fault !== undefined) throw payloadError('error data', fault);
      // The message is the handler's too (an Error's text): as large as the JSON serializer would refuse.
      fault = wireFault(p.error?.message, limits);
      if (fault !== undefined) throw payloadError('error message', fault);
      return;
    case 'progress':
      fault = wireFault(p.value, limits);
      if (fault !== undefined) throw payloadError(`progress value "${String(p.key)}"`, fault);
      return;
    case 'chunk':
      // Bytes go as they are (split to 256 KiB by the agent); JSON values are checked like results.
      fault = p.data instanceof Uint8Array ? undefined : wireFault(p.data, limits);
      if (fault !== undefined) throw payloadError('stream chunk', fault);
      return;
  }
}

/** {@link assertWireSafe} of a request's payload alone (an in-process hand-over checks no envelope). */
export function assertPayloadSafe(route: string, payload: unknown, limits: WireLimits): void {
  const fault = wireFault(payload, limits);
  if (fault !== undefined) throw payloadError(`payload of ${route}`, fault);
}

/** {@link assertWireSafe} of a successful result alone (an in-process hand-over builds no packet). */
export function assertResultSafe(result: unknown, limits: WireLimits): void {
  const fault = wireFault(result, limits);
  if (fault !== undefined) throw payloadError('result', fault);
}

/** True when `err` is the error of {@link assertWireSafe}. */
export function isPayloadError(err: unknown): err is NaniteError {
  return err instanceof NaniteError && err.code === 'NANITE_ERR_PAYLOAD';
}
