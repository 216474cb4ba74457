/**
 * Text that came from the wire, made safe for a terminal. Peers choose their identities, tags,
 * routes, versions, node names and error messages; a control character among them would drive the
 * terminal (`ESC ] 0 ; … BEL` retitles it, CSI sequences move the cursor, clear the screen, hide
 * what follows). Every human-readable printer shows them as visible escapes instead.
 */

/**
 * C0 controls, DEL, C1 controls, and the bidirectional formatting characters (ALM, LRM/RLM, the
 * embeddings, overrides and isolates): a peer's name holding U+202E would print reversed, and
 * could make one identity look like another. Matching them is the point.
 */
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** What JSON.stringify leaves as it is and a terminal still acts on: DEL, C1 and the bidi formatting characters. */
const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** In a line pino-pretty wrote: every control but newline and tab, except the SGR colour sequences it adds itself. */
// eslint-disable-next-line no-control-regex
const PRETTY_UNSAFE = /\u001b\[[0-9;]*m|[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const hex = (c: string, width: number): string => c.charCodeAt(0).toString(16).padStart(width, '0');

/** `text` with each C0 control and DEL as `\x1b`, each C1 control and bidi character as `\u009b`; everything else as it is. */
export function escapeControls(text: string): string {
  return text.replace(CONTROLS, (c) => (c.charCodeAt(0) < 0x80 ? `\\x${hex(c, 2)}` : `\\u${hex(c, 4)}`));
}

/** SGR parameters of plain colours and weights (what pino-pretty's colours use): not conceal, blink or reverse. */
const COLOUR_PARAMS = /^(?:0|1|2|22|3[0-9]|4[0-9]|9[0-7]|10[0-7])?$/;

/**
 * Output of pino-pretty made safe: with `colors`, SGR sequences of plain colours are kept (it adds
 * them itself); every other control (but newline and tab) is shown as an escape, so a peer's text
 * can neither move the cursor, retitle the terminal nor conceal what follows.
 */
export function escapePrettyControls(text: string, colors: boolean): string {
  return text.replace(PRETTY_UNSAFE, (c) => (c.length > 1 && colors && c.slice(2, -1).split(';').every((p) => COLOUR_PARAMS.test(p)) ? c : escapeControls(c)));
}

/**
 * JSON text with DEL, the C1 controls and the bidi formatting characters written as `\u007f`,
 * `\u202e`… (JSON.stringify escapes only C0): the same JSON value, but nothing a terminal acts on.
 */
export function escapeJsonControls(json: string): string {
  return json.replace(JSON_UNSAFE, (c) => `\\u${hex(c, 4)}`);
}
