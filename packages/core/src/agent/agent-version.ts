/** The `version` an agent advertises in its Register (shown in every mapper's roster). */
import { NaniteError } from '../errors';
import { isAgentVersion } from '../protocol/decode';
import { MAX_VERSION_LENGTH } from '../protocol/packets';

/**
 * The given version, checked; without one, the version of the package npm started the process
 * for (`npm_package_version`, set by `npm start` / `npm run`) when it is a valid one, else none.
 */
export function resolveAgentVersion(given: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (given === undefined) {
    const fromNpm = env.npm_package_version;
    return isAgentVersion(fromNpm) ? fromNpm : undefined;
  }
  if (!isAgentVersion(given)) {
    throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `version must be a non-empty string of at most ${MAX_VERSION_LENGTH} printable ASCII characters, got ${JSON.stringify(String(given).slice(0, 40))}` });
  }
  return given;
}
