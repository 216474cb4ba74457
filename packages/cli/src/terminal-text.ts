/**
 * Text that came from the wire, made safe for a terminal. Peers choose their identities, tags,
 * routes, versions, node names and error messages; a control character among them would drive the
 * terminal (`ESC ] 0 ; … BEL` retitles it, CSI sequences move the cursor, clear the screen, hide
 * what follows). Every human-readable printer shows them as visible escapes instead.
 */

/** C0 controls, DEL and C1 controls: matching them is the point. */
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;

const hex = (c: string, width: number): string => c.charCodeAt(0).toString(16).padStart(width, '0');

/** `text` with each C0 control and DEL as `\x1b`, each C1 control as `\u009b`; everything else as it is. */
export function escapeControls(text: string): string {
  return text.replace(CONTROLS, (c) => (c.charCodeAt(0) < 0x80 ? `\\x${hex(c, 2)}` : `\\u${hex(c, 4)}`));
}

/**
 * JSON text with DEL and the C1 controls written as `\u007f` … `\u009f` (JSON.stringify escapes
 * only C0): the same JSON value, but nothing a terminal acts on.
 */
export function escapeJsonControls(json: string): string {
  return json.replace(/[\u007f-\u009f]/g, (c) => `\\u${hex(c, 4)}`);
}
