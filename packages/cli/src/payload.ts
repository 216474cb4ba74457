/** Turns the PAYLOAD argument of `request` and `push` into the value sent. */
import { NaniteError } from '@nanite/core';

/** Options of {@link parsePayload}. */
export interface ParsePayloadOptions {
  /** Send the text as a string, never as JSON. */
  raw?: boolean;
}

/**
 * PAYLOAD is JSON when it parses (`42`, `true`, `{"a":1}`, `"quoted"`), else the text itself as a
 * string (`hello`). Text that looks like JSON (starts with `{`, `[` or `"`) but does not parse is
 * rejected with `NANITE_ERR_INVALID_ARGUMENT` rather than silently sent as a string; `raw` sends
 * any text verbatim. No argument means no payload (`undefined`).
 */
export function parsePayload(text: string | undefined, options: ParsePayloadOptions = {}): unknown {
  if (text === undefined) return undefined;
  if (options.raw) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    if (/^\s*[[{"]/.test(text)) {
      throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', {
        message: `Malformed payload: ${text.length > 60 ? `${text.slice(0, 57)}...` : text} looks like JSON but does not parse (${(err as Error).message}). Fix the quoting, or pass --raw to send it as a string`,
        data: { payload: text },
      });
    }
    return text;
  }
}
