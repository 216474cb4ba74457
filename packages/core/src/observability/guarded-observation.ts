/**
 * Observers are user code (or call into it: an OpenTelemetry SDK's span processors and exporters).
 * Their hooks run where a throw must not escape: inside a request's settling (a timer, a transport
 * callback) and around a handler. Each observation is wrapped so that a hook that throws is
 * reported to `fault` and skipped: the request still settles, the handler still runs (once), the
 * other observers still hear of it.
 *
 * Nanite's own observations that only count (Prometheus) are marked {@link TRUSTED_OBSERVATION}
 * and go unwrapped: no object per request for the common case.
 */
import type { NaniteError } from '../errors';
import { isTraceParent } from './trace-context';
import type { AgentObservation, JobScope, JobStart, MapperObservation, RequestScope, RequestStart } from './observer';

/** Marks an observation whose hooks never throw. Internal: not exported from the package, so user code cannot claim it. */
const TRUSTED_OBSERVATION: unique symbol = Symbol('nanite.trustedObservation');

/** `o`, marked as one of Nanite's own observations whose hooks never throw (see {@link TRUSTED_OBSERVATION}). */
export function trusted<T extends MapperObservation | AgentObservation>(o: T): T {
  return Object.assign(o, { [TRUSTED_OBSERVATION]: true });
}

/** Told of each hook that threw: `hook` is `begin`, `end`, `run` or `close`. Must not throw. */
export type ObserverFault = (hook: 'begin' | 'end' | 'run' | 'close', err: unknown) => void;

function isTrusted(o: object): boolean {
  return (o as { [TRUSTED_OBSERVATION]?: boolean })[TRUSTED_OBSERVATION] === true;
}

/** `o`, its hooks guarded. */
export function guardMapperObservation(o: MapperObservation, fault: ObserverFault): MapperObservation {
  if (isTrusted(o)) return o;
  return {
    begin(start: RequestStart): RequestScope | undefined {
      try {
        const scope = o.begin(start);
        return scope && guardedScope(checkedTraceParent(scope.traceparent, fault), scope, fault);
      } catch (err) {
        fault('begin', err);
        return undefined;
      }
    },
    close: () => guardedClose(o, fault),
  };
}

/** `o`, its hooks guarded; `run` calls the handler exactly once whatever the observer does. */
export function guardAgentObservation(o: AgentObservation, fault: ObserverFault): AgentObservation {
  if (isTrusted(o)) return o;
  return {
    begin(start: JobStart): JobScope | undefined {
      try {
        const scope = o.begin(start);
        if (!scope) return undefined;
        const guarded: JobScope = guardedScope(checkedTraceParent(scope.traceparent, fault), scope, fault);
        return scope.run === undefined ? guarded : { ...guarded, run: <T>(fn: () => T): T => guardedRun(scope, fn, fault) };
      } catch (err) {
        fault('begin', err);
        return undefined;
      }
    },
    close: () => guardedClose(o, fault),
  };
}

/**
 * The scope's `traceparent` when it is a W3C one; else undefined, and the observer's fault: it
 * would otherwise fail every request (a mapper refuses a bad traceparent) or go out on the wire.
 */
function checkedTraceParent(traceparent: unknown, fault: ObserverFault): string | undefined {
  if (traceparent === undefined || isTraceParent(traceparent)) return traceparent;
  fault('begin', new Error(`the observer's traceparent (a ${typeof traceparent}) is not a W3C traceparent: it was dropped`));
  return undefined;
}

function guardedScope(traceparent: string | undefined, scope: { end(error: NaniteError | undefined): void }, fault: ObserverFault): RequestScope {
  return {
    traceparent,
    end(error: NaniteError | undefined): void {
      try {
        scope.end(error);
      } catch (err) {
        fault('end', err);
      }
    },
  };
}

/**
 * Runs the handler inside the observer's `run`, whatever `run` does: the handler runs exactly once
 * (called again, it gives its first outcome; never called, or called later, it runs now) and the
 * job gets the handler's own outcome. What `run` itself throws is the observer's fault.
 */
function guardedRun<T>(scope: JobScope, fn: () => T, fault: ObserverFault): T {
  // An object, not locals: `once` changes it behind the compiler's narrowing.
  const h: { state: 'not run' | 'returned' | 'threw'; out?: T; error?: unknown } = { state: 'not run' };
  const once = (): T => {
    if (h.state === 'not run') {
      try {
        h.out = fn();
        h.state = 'returned';
      } catch (err) {
        h.error = err;
        h.state = 'threw';
      }
    }
    if (h.state === 'threw') throw h.error;
    return h.out as T;
  };
  try {
    scope.run!(once);
    if (h.state === 'not run') fault('run', new Error('the observer\'s run() returned without running the handler'));
  } catch (err) {
    // The handler's own throw passing through is its outcome; anything else is the observer's.
    if (h.state !== 'threw' || err !== h.error) fault('run', err);
  }
  return once();
}

function guardedClose(o: { close(): void }, fault: ObserverFault): void {
  try {
    o.close();
  } catch (err) {
    fault('close', err);
  }
}
