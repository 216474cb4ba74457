/**
 * Host lists in transport URLs: `amqp://user:pass@h1:5672,h2:5672,h3:5672/vhost?prefix=p` names
 * the nodes of one cluster. WHATWG `URL` cannot parse such an authority, so
 * {@link parseTransportUrl} turns it into the first host with the whole list in `?nodes=`, and
 * {@link nodeUrls} turns a parsed URL back into one URL per node.
 */

/** The query parameter holding a URL's host list (`h1:5672,h2:5672`). */
export const NODES_PARAM = 'nodes';

const HOST_LIST = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*@)?([^/?#@]*,[^/?#@]*)([/?#][\s\S]*)?$/i;

/**
 * Splits a URL whose authority holds a comma-separated host list into the URL of its first host
 * and the list; `undefined` when it holds one host.
 */
export function splitHostList(url: string): { first: string; hosts: string[] } | undefined {
  const m = HOST_LIST.exec(url);
  if (!m) return undefined;
  const hosts = m[3]!.split(',').map((h) => h.trim()).filter((h) => h.length > 0);
  if (hosts.length === 0) return undefined;
  return { first: `${m[1]}${m[2] ?? ''}${hosts[0]}${m[4] ?? ''}`, hosts };
}

/**
 * One URL per node of a parsed URL: each host of `?nodes=` in place of the URL's own (the
 * parameter removed), or the URL itself when it names one node.
 */
export function nodeUrls(url: URL): URL[] {
  const list = url.searchParams.get(NODES_PARAM);
  if (list === null) return [url];
  const hosts = list.split(',').map((h) => h.trim()).filter((h) => h.length > 0);
  const base = new URL(url.toString());
  base.searchParams.delete(NODES_PARAM);
  if (hosts.length === 0) return [base];
  return hosts.map((host) => {
    const u = new URL(base.toString());
    u.host = host;
    // Setting a host without a port keeps the first host's port: a host without one gets the default.
    if (!/:\d+$/.test(host)) u.port = '';
    return u;
  });
}

/** `host:port` of a URL, with the scheme's default port when it names none. */
export function nodeName(url: URL): string {
  const port = url.port || (url.protocol === 'amqps:' ? '5671' : url.protocol === 'amqp:' ? '5672' : '');
  return port ? `${url.hostname}:${port}` : url.hostname;
}
