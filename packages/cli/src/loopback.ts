/** Whether a listen address keeps a server on this machine. */
import { isIPv4, isIPv6 } from 'node:net';

/**
 * True when `host` only accepts connections from this machine: `localhost`, `127.0.0.0/8`, `::1`
 * (also bracketed, `[::1]`) and IPv4-mapped `::ffff:127.x.x.x`. Anything else, including `0.0.0.0`,
 * `::` and every other name, counts as reachable from the network.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost') return true;
  if (isIPv4(h)) return h.startsWith('127.');
  if (!isIPv6(h)) return false;
  const mapped = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h)?.[1];
  if (mapped) return isIPv4(mapped) && mapped.startsWith('127.');
  return expandIPv6(h).every((word, i) => Number.parseInt(word, 16) === (i === 7 ? 1 : 0));
}

/** The eight 16-bit words of an IPv6 address without a dotted tail (`::1` -> 0,...,0,1). */
function expandIPv6(address: string): string[] {
  const [head = '', tail] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  if (tail === undefined) return left;
  const right = tail === '' ? [] : tail.split(':');
  return [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
}
