// The live agent feed: server-sent events read with fetch (so the token travels in a header),
// reconnecting with backoff; every (re)connection starts with a full snapshot.
import { askToken, authHeaders, hasToken } from './auth.js';
import { $, split } from './dom.js';
import { apiUrl, config } from './state.js';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Shows the connection state in the top bar (and dims the table when it is not live). */
function setConn(state, text) {
  document.body.dataset.conn = state;
  $('conn').dataset.state = state;
  $('conn-text').textContent = text;
}

/** Follows `api/events` forever, calling `onEvent(type, data)` for each event. */
export async function followEvents(onEvent) {
  let delay = 1000;
  for (;;) {
    try {
      const res = await fetch(apiUrl('events'), { headers: authHeaders({ accept: 'text/event-stream' }), cache: 'no-store' });
      if (res.status === 401 || res.status === 403) {
        setConn('unauthorized', res.status === 401 ? 'not signed in' : 'access denied');
        if (config.auth === 'token') {
          await askToken(hasToken() ? 'That token was refused. Try another.' : 'This Control Tower is protected. Enter its bearer token.');
          continue;
        }
        // Your auth hook refused us (e.g. no session yet): look again in a while.
        await sleep(10000);
        continue;
      }
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      setConn('live', 'live');
      delay = 1000;
      for await (const block of split(res.body, '\n\n')) {
        const event = parseEvent(block);
        if (event) onEvent(event.type, event.data);
      }
      setConn('reconnecting', 'server closed the stream, reconnecting…');
    } catch {
      setConn('reconnecting', 'offline, reconnecting…');
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 10000);
  }
}

/** One `text/event-stream` block: `event:` and `data:` lines; `:` lines are comments (heartbeats). */
function parseEvent(block) {
  let type = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') type = value;
    else if (field === 'data') data.push(value);
  }
  return data.length ? { type, data: JSON.parse(data.join('\n')) } : null;
}
