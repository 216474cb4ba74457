/**
 * Marks Nanite's own selectors: what they return is always one of the candidates they were given,
 * so dispatch may skip the membership check (a linear scan) it does on user selectors' choices.
 * Internal: not exported, so user code cannot claim it.
 */
export const TRUSTED_SELECTOR: unique symbol = Symbol('nanite.trustedSelector');

/** True for a built-in selector whose choices need no membership check. */
export function isTrusted(selector: object): boolean {
  return (selector as { [TRUSTED_SELECTOR]?: boolean })[TRUSTED_SELECTOR] === true;
}
