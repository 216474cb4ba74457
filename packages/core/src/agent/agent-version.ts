/** The `version` an agent advertises in its Register (shown in every mapper's roster). */
import { NaniteError } from '../errors';
import { isAgentVersion } from '../protocol/decode';
import { MAX_VERSION_LENGTH } from '../protocol/packets';

/**
 * The given version, checked; undefined stays undefined. Not guessed from the environment:
 * `npm_package_version` is set only under npm scripts (and names whichever package's script runs),
 * so the same agent would advertise a version or not depending on how it was started.
 */
export function resolveAgentVersion(given: string | undefined): string | undefined {
  if (given === undefined) return undefined;
  if (!isAgentVersion(given)) {
    throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `version must be a non-empty string of at most ${MAX_VERSION_LENGTH} printable ASCII characters, got ${JSON.stringify(String(given).slice(0, 40))}` });
  }
  return given;
}
