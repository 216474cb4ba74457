// Nanite Control Tower: plain browser modules, no framework, no build step.
// feed.js follows the agents (server-sent events), agents-table.js draws them, request-form.js
// and results.js send requests and show each agent's answer as it streams back.
import { refreshAges, renderAgents } from './agents-table.js';
import { $ } from './dom.js';
import { followEvents } from './feed.js';
import { renderRouteChoices, setupForm, targetAgent } from './request-form.js';
import { sendRequest, setupResults } from './results.js';
import { addTick, setHistory } from './charts.js';
import { agents, config, syncClock } from './state.js';

function render(flash) {
  renderAgents(targetAgent, flash);
  if (!config.readOnly) renderRouteChoices();
}

function onEvent(type, data) {
  switch (type) {
    case 'snapshot':
      syncClock(data.now);
      $('mapper-id').textContent = `via mapper ${data.mapper.identity}${data.mapper.node ? ` on ${data.mapper.node}` : ''}`;
      agents.clear();
      for (const a of data.agents) agents.set(a.identity, a);
      render();
      break;
    case 'agent:up':
    case 'agent:update':
    case 'agent:down':
      agents.set(data.identity, data);
      render(type === 'agent:up' ? data.identity : undefined);
      break;
    case 'agent:removed':
      agents.delete(data.identity);
      render();
      break;
    case 'traffic:history':
      setHistory(data);
      break;
    case 'traffic':
      addTick(data);
      break;
  }
}

setupForm((body) => void sendRequest(body));
setupResults();
$('filter').addEventListener('input', () => renderAgents(targetAgent));
setInterval(refreshAges, 1000);
void followEvents(onEvent);
