/** An `AbortSignal`, or one from another realm or polyfill: what Nanite uses of a signal (`aborted`, add/removeEventListener). */
export function isAbortSignal(s: unknown): s is AbortSignal {
  if (s instanceof AbortSignal) return true;
  const o = s as { aborted?: unknown; addEventListener?: unknown; removeEventListener?: unknown } | null;
  return typeof o === 'object' && o !== null && typeof o.aborted === 'boolean' && typeof o.addEventListener === 'function' && typeof o.removeEventListener === 'function';
}
