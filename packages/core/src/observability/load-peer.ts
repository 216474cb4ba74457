/**
 * Loads an optional peer dependency (prom-client, @opentelemetry/api) when an adapter is created,
 * never at import: users who do not ask for metrics or tracing need not install them.
 */
import { NaniteError } from '../errors';

/** `require(name)`, or `NANITE_ERR_MISSING_DEPENDENCY` saying what to install. */
export function loadPeer<T>(name: string, feature: string): T {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand: an optional peer dependency
    return require(name) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') {
      throw new NaniteError('NANITE_ERR_MISSING_DEPENDENCY', { message: `${feature} needs the optional peer dependency ${name}: npm install ${name}`, data: { module: name }, cause: err });
    }
    throw err;
  }
}
