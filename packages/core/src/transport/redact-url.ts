import { NaniteError } from '../errors';
import { NODES_PARAM, splitHostList } from './host-list';

/**
 * A transport URL without its credentials, for logs, messages and `transport.url`: the one
 * redaction every Nanite package uses.
 *
 * - A URL that parses loses its user name and password: `amqp://guest:secret@h:5672/v` becomes
 *   `amqp://h:5672/v`.
 * - Text that does not parse (or parses with an `@` outside the authority, as when a password holds
 *   an unescaped `/`, `?` or `#`) loses everything between the scheme and its last `@`, so no part of
 *   a password survives: `amqp://u:pa ss@host` becomes `amqp://host`.
 * - Anything without credentials comes back as given (`memory://demo`, `not a url`).
 */
export function redactUrl(url: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed && !`${parsed.pathname}${parsed.search}${parsed.hash}`.includes('@')) {
    if (!parsed.username && !parsed.password) return url;
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  }
  // The user info ends at the last '@'; dropping up to there over-redacts an '@' in a path or
  // query, which is the safe side for text shown to people.
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)?[\s\S]*@/i, '$1');
}

/**
 * Parses a transport URL, the one way every Nanite package does it. A malformed URL throws
 * `NANITE_ERR_INVALID_ARGUMENT` naming the URL through {@link redactUrl}, never Node's own
 * `TypeError`, whose `input` property holds the whole text, password included. A host list
 * (`amqp://u:p@h1:5672,h2:5672/v`, the nodes of a cluster) parses as its first host with the whole
 * list in the `nodes` query parameter (`?nodes=h1:5672,h2:5672`), which the amqp:// transport reads.
 */
export function parseTransportUrl(url: string): URL {
  if (typeof url !== 'string') throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `A transport URL must be a string (memory://name, amqp://host), got ${url === null ? 'null' : typeof url}`, data: { option: 'url' } });
  try {
    // A host list (`h1:5672,h2:5672`, the nodes of a cluster): its first host, the list in `?nodes=`.
    const list = splitHostList(url);
    if (!list) return new URL(url);
    const parsed = new URL(list.first);
    parsed.searchParams.set(NODES_PARAM, list.hosts.join(','));
    return parsed;
  } catch {
    // No `cause`: Node's URL error carries the whole input (credentials included) in `input`.
    throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `"${redactUrl(url)}" is not a valid transport URL` });
  }
}
