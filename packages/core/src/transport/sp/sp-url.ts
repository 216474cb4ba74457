/**
 * SP endpoint URLs: `tcp://host:port` (IPv4, `[IPv6]` or a name; port 0 = ephemeral when
 * listening; `*` or an empty host listens on every interface, as in nanomsg) and `ipc:///path`
 * (a Unix socket; `ipc://relative/path` is relative to the working directory, as in NNG).
 */
import { NaniteError } from '../../errors';
import type { SpFraming } from './sp-frame';

/** A parsed SP endpoint address. */
export type SpAddress =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'ipc'; readonly path: string };

/** The framing an address uses on the wire. */
export function framingOf(address: SpAddress): SpFraming {
  return address.kind;
}

function invalid(url: string, why: string): NaniteError {
  return new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `Invalid SP URL ${JSON.stringify(url)}: ${why}`, data: { url } });
}

/** Parses an SP URL; throws `NANITE_ERR_INVALID_ARGUMENT` on anything else. */
export function parseSpUrl(url: string): SpAddress {
  if (typeof url !== 'string') throw invalid(String(url), 'expected a string');
  if (url.startsWith('ipc://')) {
    const path = url.slice('ipc://'.length);
    if (path.length === 0) throw invalid(url, 'missing socket path');
    if (path.includes('\0')) throw invalid(url, 'NUL in socket path');
    return { kind: 'ipc', path };
  }
  if (!url.startsWith('tcp://')) throw invalid(url, 'expected tcp://host:port or ipc:///path');
  const rest = url.slice('tcp://'.length);
  let host: string;
  let portText: string;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0 || rest[close + 1] !== ':') throw invalid(url, 'expected [ipv6]:port');
    host = rest.slice(1, close);
    portText = rest.slice(close + 2);
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon < 0) throw invalid(url, 'missing :port');
    host = rest.slice(0, colon);
    portText = rest.slice(colon + 1);
    if (host.includes(':')) throw invalid(url, 'put IPv6 hosts in brackets');
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) throw invalid(url, 'port must be 0..65535');
  if (host.includes('/')) throw invalid(url, 'unexpected path');
  return { kind: 'tcp', host: host === '*' ? '' : host, port: Number(portText) };
}

/** The URL of an address (an empty tcp host prints as `*`, IPv6 hosts in brackets). */
export function formatSpUrl(address: SpAddress): string {
  if (address.kind === 'ipc') return `ipc://${address.path}`;
  const host = address.host === '' ? '*' : address.host.includes(':') ? `[${address.host}]` : address.host;
  return `tcp://${host}:${address.port}`;
}
