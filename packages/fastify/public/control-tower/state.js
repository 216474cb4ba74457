// What the page knows: its configuration, the agents, the server's clock.

/** The server's settings for this page (title, readOnly, auth, maxTimeout). */
export const config = JSON.parse(document.getElementById('tower-config').textContent);

/** identity -> agent row from the server (an AgentView plus state 'up' | 'suspect' | 'down' | 'removed', downAt, downReason). */
export const agents = new Map();

let clockOffset = 0;

/** Aligns the page's clock on the server's (the snapshot's `now`), for heartbeat ages. */
export function syncClock(serverNowMs) {
  clockOffset = serverNowMs - Date.now();
}

/** The server's time now, as far as the page can tell. */
export const serverNow = () => Date.now() + clockOffset;

/** The URL of an API route, relative to the page's <base href>. */
export const apiUrl = (path) => new URL(`api/${path}`, document.baseURI).toString();

/** Agents that are up, by identity. */
export const upAgents = () => [...agents.values()].filter((a) => a.state === 'up');
