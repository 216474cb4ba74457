/**
 * Host names as the Control Tower's Host check compares them: lower-cased, without port or trailing
 * dot, IPv6 addresses in brackets and in their canonical spelling (`[FD00:0::5]:4000` -> `[fd00::5]`).
 */
import { isIPv6 } from 'node:net';

/** Characters of a DNS name or IPv4 address in a Host header (RFC 3986 reg-name, without %-escapes). */
const REG_NAME = /^[a-z0-9\-._~!$&'()*+,;=]+$/;

/**
 * The name part of a Host header (`[::1]:4000` -> `[::1]`, `Tower.Internal.:80` -> `tower.internal`),
 * or `''` when the header names no host (`[::1`, `[::1]x`, brackets around no IPv6 address), which
 * matches nothing. An IPv6 address in a Host header is always in brackets (RFC 3986).
 */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    if (end < 0 || !/^(:\d*)?$/.test(h.slice(end + 1))) return '';
    return bracketedIpv6(h.slice(1, end)) ?? '';
  }
  const name = h.replace(/:\d*$/, '');
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

/**
 * An entry of `allowedHosts` as a {@link hostName}: a name (a port is ignored), an IPv4 address, or
 * an IPv6 address bare or in brackets (`::1`, `[::1]`, as `--host` takes it); `undefined` when it is
 * none of those (a URL, a path, an empty string).
 */
export function allowedHostName(entry: string): string | undefined {
  const e = entry.trim().toLowerCase();
  if (isIPv6(e)) return bracketedIpv6(e);
  const name = hostName(e);
  return name.startsWith('[') || REG_NAME.test(name) ? name : undefined;
}

/** `[address]` in canonical form (zeros compressed, lower case), or undefined when `address` is no IPv6 address. */
function bracketedIpv6(address: string): string | undefined {
  if (!isIPv6(address)) return undefined;
  try {
    return new URL(`http://[${address}]/`).hostname;
  } catch {
    // A zone id (`fe80::1%eth0`) is valid for the OS, not in a URL: compared as written.
    return `[${address}]`;
  }
}
