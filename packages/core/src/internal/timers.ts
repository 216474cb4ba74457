/** Longest delay (ms) `setTimeout` and `setInterval` honour: Node turns a longer one (or NaN) into 1 ms. */
export const MAX_TIMER_DELAY = 0x7fff_ffff;
