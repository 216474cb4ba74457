/** Adjusts a transport URL for how the CLI connects. */

/**
 * An `amqp://` / `amqps://` URL with `failFast` set when the URL does not set it already: with
 * `true`, an unreachable broker fails the command at once (`NANITE_ERR_NOT_CONNECTED`, exit 5)
 * instead of being retried in the background (a cluster's host list too: every node tried once).
 * Other URLs, and text that is not a URL, pass unchanged.
 */
export function withFailFast(url: string, failFast: boolean): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // A cluster's host list (`amqp://u:p@h1:5672,h2:5672/v`) is no WHATWG URL: set the option as text.
    if (/^amqps?:\/\/[^/?#]*,/i.test(url)) return /[?&]failFast=/.test(url) ? url : `${url}${url.includes('?') ? '&' : '?'}failFast=${failFast}`;
    // createTransport() reports the malformed URL with its own message.
    return url;
  }
  if ((parsed.protocol !== 'amqp:' && parsed.protocol !== 'amqps:') || parsed.searchParams.has('failFast')) return url;
  parsed.searchParams.set('failFast', String(failFast));
  return parsed.toString();
}
