/**
 * Checks of the parts a user plugs into an agent or a mapper (its transport, actors, observers),
 * at construction: a wrong one is `NANITE_ERR_INVALID_ARGUMENT` naming the option, never a raw
 * TypeError from deep inside, or a throw later from a timer.
 */
import { NaniteError } from '../errors';

function invalid(option: string, message: string): NaniteError {
  return new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `${option} ${message}`, data: { option } });
}

/** `transport`: a URL string, or an object with the methods the `role` uses. */
export function checkTransportOption(transport: unknown, role: 'agent' | 'mapper'): void {
  if (typeof transport === 'string') return;
  const open = role === 'agent' ? 'openAgent' : 'openMapper';
  const t = transport as Record<string, unknown> | null;
  if (typeof t !== 'object' || t === null || typeof t.connect !== 'function' || typeof t.close !== 'function' || typeof t[open] !== 'function') {
    throw invalid('transport', `must be a URL (memory://name, amqp://host) or a Transport (with connect, ${open} and close), got ${t === null ? 'null' : typeof t}`);
  }
}

/** An option that is a list of objects (`actors`, `observers`): undefined, or an array of non-null objects. */
export function checkObjectList(option: string, list: unknown): void {
  if (list === undefined) return;
  if (!Array.isArray(list)) throw invalid(option, `must be an array, got ${list === null ? 'null' : typeof list}`);
  list.forEach((item: unknown, i) => {
    if ((typeof item !== 'object' && typeof item !== 'function') || item === null) throw invalid(option, `[${i}] must be an object, got ${item === null ? 'null' : typeof item}`);
  });
}
