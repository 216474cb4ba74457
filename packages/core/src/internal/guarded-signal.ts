/**
 * Abort listeners that cannot kill the process. An `AbortSignal` runs its listeners inside
 * `controller.abort()`, and Node reports a listener's throw as an uncaught exception (a rejected
 * promise from an async listener, as an unhandled rejection): the process dies, whoever called
 * abort(). A handler's `ctx.signal` is aborted from a timer or a transport callback (its deadline,
 * its caller's cancel), so the listeners a handler adds to it, by `addEventListener` (which
 * `events.once`, `events.addAbortListener` and libraries use) or by `onabort`, are wrapped: a throw
 * is handed to `onError` instead. The signal stays a real AbortSignal (fetch, streams and timers
 * take it as before); signals derived from it (`AbortSignal.any`) are their maker's own.
 */

type ListenerFn = (this: unknown, event: Event) => unknown;
type Listener = ListenerFn | { handleEvent(event: Event): unknown };
type Add = (this: AbortSignal, type: string, listener: unknown, options?: unknown) => void;

/** Wraps every listener added to `signal` from now on (it should have none yet). */
export function guardAbortListeners(signal: AbortSignal, onError: (err: unknown) => void): AbortSignal {
  const wrappers = new WeakMap<object, ListenerFn>();
  const wrap = (listener: Listener): ListenerFn => {
    let w = wrappers.get(listener);
    if (!w) {
      w = function (this: unknown, event: Event): void {
        try {
          const r: unknown = typeof listener === 'function' ? listener.call(this, event) : listener.handleEvent(event);
          if (isThenable(r)) r.then(undefined, onError);
        } catch (err) {
          onError(err);
        }
      };
      wrappers.set(listener, w);
    }
    return w;
  };
  const add = signal.addEventListener as Add;
  const remove = signal.removeEventListener as Add;
  const onabort = Object.getOwnPropertyDescriptor(AbortSignal.prototype, 'onabort');
  let handler: ListenerFn | null = null;
  Object.defineProperties(signal, {
    addEventListener: {
      configurable: true,
      writable: true,
      value(this: AbortSignal, type: string, listener: unknown, options?: unknown): void {
        add.call(this, type, isListener(listener) ? wrap(listener) : listener, options);
      },
    },
    removeEventListener: {
      configurable: true,
      writable: true,
      value(this: AbortSignal, type: string, listener: unknown, options?: unknown): void {
        remove.call(this, type, isListener(listener) ? (wrappers.get(listener) ?? listener) : listener, options);
      },
    },
    onabort: {
      configurable: true,
      get: () => handler,
      set(this: AbortSignal, fn: unknown) {
        handler = typeof fn === 'function' ? (fn as ListenerFn) : null;
        onabort?.set?.call(this, handler ? wrap(handler) : null);
      },
    },
  });
  return signal;
}

function isListener(l: unknown): l is Listener {
  return typeof l === 'function' || (typeof l === 'object' && l !== null);
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  try {
    return (typeof v === 'object' || typeof v === 'function') && v !== null && typeof (v as { then?: unknown }).then === 'function';
  } catch {
    return false;
  }
}
