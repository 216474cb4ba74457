// The Control Tower in real headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core; scripts/ensure-chromium.sh installs it). Screenshots go to artifacts/.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, MemoryTransport, defineActor, type AgentOptions, type MapperOptions } from '@nanite/core';
import Fastify, { type FastifyInstance } from 'fastify';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { nanitePlugin, naniteControlTower, type ControlTowerOptions } from '../src';
import { busUrl } from './helpers';

const CHROMIUM = process.env.NANITE_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '..', '..', '..', 'artifacts');

const worker = defineActor('worker', {
  whoami: (_payload, ctx) => ({ agent: ctx.agent }),
  steps: async (payload, ctx) => {
    const n = Number(payload) || 3;
    for (let i = 1; i <= n; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      ctx.progress('step', `${i}/${n}`);
    }
    return { agent: ctx.agent, steps: n };
  },
});

describe('Control Tower in Chromium', () => {
  let profile: string;
  let browser: BrowserContext;
  let app: FastifyInstance;
  let page: Page;
  const agents = new Map<string, Agent>();
  let url: string;

  beforeAll(async () => {
    profile = mkdtempSync(join(tmpdir(), 'nanite-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1440, height: 960 },
    });
    mkdirSync(ARTIFACTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  beforeEach(() => {
    url = busUrl();
  });

  afterEach(async () => {
    await page?.close();
    await app?.close();
    for (const a of agents.values()) await a.stop();
    agents.clear();
  });

  async function start(identities: string[], tower: ControlTowerOptions = {}, mapper: Omit<MapperOptions, 'transport' | 'logger'> = {}, extra: Record<string, Partial<AgentOptions>> = {}): Promise<string> {
    const regions = ['eu-west', 'us-east', 'ap-south'];
    // Fixed statuses (instead of the event-loop-based default) so loads are known: 20%, 70%, 95%.
    const loads = [0.2, 0.7, 0.95];
    for (const [i, identity] of identities.entries()) {
      const status = (): number => loads[i % loads.length]!;
      const agent = new Agent({ transport: url, identity, tags: [regions[i % regions.length]!], actors: [worker], pingInterval: 500, concurrency: 4, status, ...extra[identity] });
      await agent.start();
      agents.set(identity, agent);
    }
    app = Fastify();
    await app.register(nanitePlugin, { url, mapper });
    await app.register(naniteControlTower, tower);
    await app.listen({ port: 0, host: '127.0.0.1' });
    await app.nanite.waitForAgents({ count: identities.length, timeout: 5_000 });
    const address = app.server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    pageErrors = errors;
    return `http://127.0.0.1:${address.port}/nanite/`;
  }
  let pageErrors: string[] = [];

  const row = (identity: string, state: 'up' | 'suspect' | 'down' | 'removed' = 'up') => page.locator(`tr[data-agent="${identity}"][data-state="${state}"]`);

  it('lists the agents with their routes, tags and load', async () => {
    const home = await start(['alpha', 'beta', 'gamma'], {}, {}, { alpha: { version: '2.4.1', listen: 'tcp://127.0.0.1:0' } });
    await page.goto(home);

    await row('alpha').waitFor();
    await row('beta').waitFor();
    await row('gamma').waitFor();
    await page.locator('#conn[data-state="live"]').waitFor();

    expect(await page.locator('#count-up').textContent()).toBe('3');
    expect(await row('alpha').locator('td:not(:first-child) .chip').allTextContents()).toEqual(['/worker/steps', '/worker/whoami', 'eu-west']);
    // The roster's metadata: version next to the identity, the direct endpoint under it; none for beta.
    expect(await row('alpha').locator('[data-role="version"]').textContent()).toBe('2.4.1');
    expect(await row('alpha').locator('[data-role="endpoint"]').textContent()).toBe(agents.get('alpha')!.endpoint);
    expect(await row('beta').locator('[data-role="version"], [data-role="endpoint"], [data-role="subject"]').count()).toBe(0);
    expect(await row('alpha').getByRole('meter').getAttribute('aria-valuenow')).toBe('20');
    expect(await row('beta').getByRole('meter').getAttribute('data-level')).toBe('warn');
    expect(await row('gamma').getByRole('meter').getAttribute('data-level')).toBe('hot');
    expect(await page.locator('#route option').evaluateAll((os) => os.map((o) => (o as unknown as { value: string }).value))).toEqual(['/worker/steps', '/worker/whoami']);
    expect(pageErrors).toEqual([]);
  });

  it('marks an agent that stops as down, without a reload', async () => {
    const home = await start(['alpha', 'beta', 'gamma']);
    await page.goto(home);
    await row('gamma').waitFor();
    await page.evaluate(() => Object.assign(globalThis, { naniteTestMarker: 'same page' }));

    await agents.get('gamma')!.stop();
    agents.delete('gamma');

    await row('gamma', 'down').waitFor();
    expect(await row('gamma', 'down').locator('[data-role="state"]').textContent()).toBe('down · unregistered');
    expect(await page.locator('#count-up').textContent()).toBe('2');
    expect(await page.locator('#count-down').textContent()).toBe('1');
    expect(await page.evaluate(() => (globalThis as { naniteTestMarker?: string }).naniteTestMarker)).toBe('same page');
    // Only live agents can be targeted.
    expect(await page.locator('#target option').evaluateAll((os) => os.map((o) => (o as unknown as { value: string }).value))).toEqual(['alpha', 'beta']);
    expect(pageErrors).toEqual([]);
  });

  it('shows a suspect agent and a removed one distinctly, the removed one with when it went', async () => {
    // A lenient detector: an agent whose pings stop stays suspect for seconds before it is down.
    const home = await start(['alpha', 'beta'], {}, { agentTimeout: 30_000, roster: { detector: { suspectPhi: 0.5, minStdRatio: 1 } } });
    const t = MemoryTransport.fromUrl(new URL(url));
    const quiet = new Agent({ transport: t, identity: 'quiet', actors: [worker], pingInterval: 500 });
    await quiet.start();
    await page.goto(home);
    await row('quiet').waitFor();
    await new Promise((r) => setTimeout(r, 2_000)); // some ping history
    t.partition();
    await row('quiet', 'suspect').waitFor();
    expect(await row('quiet', 'suspect').locator('[data-role="state"]').textContent()).toBe('suspect · no new work');
    app.nanite.mapper.forget('beta');
    await row('beta', 'removed').waitFor();
    expect(await row('beta', 'removed').locator('[data-role="state"]').textContent()).toBe('removed');
    expect(await row('beta', 'removed').locator('[data-role="seen"]').textContent()).toMatch(/^removed (just now|\d+s ago)$/);
    expect(await page.locator('#count-up').textContent()).toBe('1');
    t.heal();
    await row('quiet').waitFor();
    await quiet.stop();
    await t.close();
    expect(pageErrors).toEqual([]);
  });

  it("sends a request with selector 'all' from the form and shows every agent's result and progress", async () => {
    const home = await start(['alpha', 'beta', 'gamma'], { downRetention: 60_000 });
    await page.goto(home);
    await row('gamma').waitFor();
    // One agent down first, so the screenshot shows every state the page has.
    await agents.get('gamma')!.stop();
    agents.delete('gamma');
    await row('gamma', 'down').waitFor();

    await page.selectOption('#route', '/worker/steps');
    await page.selectOption('#selector', 'all');
    await page.fill('#payload', '{ "oops": ');
    expect(await page.locator('#send').isDisabled()).toBe(true);
    expect(await page.locator('#payload-status').textContent()).toMatch(/^invalid JSON/);
    await page.fill('#payload', '3');
    expect(await page.locator('#send').isDisabled()).toBe(false);
    await page.click('#send');

    const card = page.locator('li.request[data-done="true"]');
    await card.waitFor();
    expect(await card.locator('.route').textContent()).toBe('/worker/steps');
    expect(await card.locator('[data-role="status"]').textContent()).toBe('2 ok');
    for (const identity of ['alpha', 'beta']) {
      const outcome = card.locator(`[data-result-agent="${identity}"][data-ok="true"]`);
      expect(JSON.parse((await outcome.locator('pre').textContent()) ?? '')).toEqual({ agent: identity, steps: 3 });
      expect(await outcome.locator('.progress .chip').textContent()).toBe('step: 3/3');
    }
    expect(await card.locator('[data-result-agent]').count()).toBe(2);

    // Clicking an agent's row targets it.
    await row('beta').click();
    expect(await page.locator('#selector').inputValue()).toBe('target');
    expect(await page.locator('#target').inputValue()).toBe('beta');
    await page.selectOption('#route', '/worker/whoami');
    await page.selectOption('#target', 'beta');
    await page.fill('#payload', '');
    await page.click('#send');
    await page.locator('li.request[data-done="true"]').nth(1).waitFor();
    const newest = page.locator('li.request').first();
    expect(await newest.locator('[data-result-agent="beta"][data-ok="true"] pre').textContent()).toBe('{"agent":"beta"}');

    await page.screenshot({ path: join(ARTIFACTS, 'control-tower.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(ARTIFACTS, 'control-tower-dark.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('draws request rate, errors, latency and agent load on canvases that change under load, and marks an agent that went down', async () => {
    const home = await start(['alpha', 'beta', 'gamma'], { downRetention: 60_000 });
    const flaky = new Agent({ transport: url, identity: 'flaky', actors: [defineActor('flaky', { fail: () => { throw new Error('always'); } })], pingInterval: 500 });
    await flaky.start();
    agents.set('flaky', flaky);
    await app.nanite.waitForAgents({ count: 4, timeout: 5_000 });
    await page.goto(home);
    await row('gamma').waitFor();
    await page.locator('#conn[data-state="live"]').waitFor();
    // Pixels of a canvas in a series color (saturated), or in the "down" red.
    const ink = (selector: string, kind: 'series' | 'red' = 'series'): Promise<number> => page.evaluate(`(() => {
      const c = document.querySelector(${JSON.stringify(selector)});
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) {
        const [r, g, b, a] = [d[i], d[i + 1], d[i + 2], d[i + 3]];
        if (a < 128) continue;
        if (${JSON.stringify(kind)} === 'red' ? r > 150 && g < 110 && b < 110 : Math.max(r, g, b) - Math.min(r, g, b) > 80) n++;
      }
      return n;
    })()`);
    const pixels = (selector: string): Promise<string> => page.evaluate(`document.querySelector(${JSON.stringify(selector)}).toDataURL()`);
    // Polled from here: the page's CSP (no eval) rules out page.waitForFunction's in-page polling.
    const until = async (check: () => Promise<boolean>, what: string): Promise<void> => {
      const end = Date.now() + 30_000;
      while (!(await check())) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    // No request yet: nothing drawn but the grid.
    expect(await ink('#chart-rate')).toBe(0);
    expect(await ink('#chart-latency')).toBe(0);

    let loading = true;
    const load = async (): Promise<void> => {
      while (loading) {
        await Promise.all([
          app.nanite.request('/worker/steps', 2),
          app.nanite.request('/worker/whoami'),
          app.nanite.request('/worker/whoami'),
          app.nanite.request('/flaky/fail').catch(() => undefined),
        ]);
      }
    };
    const workers = [load(), load(), load()];
    try {
      await page.locator('#chart-legend li[data-route="/worker/whoami"]').waitFor();
      // Each chart gets drawn (the first seconds of traffic may arrive one event at a time).
      await until(async () => (await ink('#chart-rate')) > 50, 'the request-rate chart to draw');
      await until(async () => (await ink('#chart-errors')) > 20, 'the error chart to draw');
      await until(async () => (await ink('#chart-latency')) > 50, 'the latency chart to draw');
      // A second later the charts moved on (a new second at the right edge).
      const before = await pixels('#chart-rate');
      await until(async () => (await pixels('#chart-rate')) !== before, 'the request-rate chart to move on');
      await until(async () => (await ink('#sparklines li[data-agent="alpha"] canvas')) > 10, "alpha's load sparkline to draw");
      expect(await ink('#sparklines li[data-agent="gamma"] canvas', 'red')).toBe(0);

      // An agent goes down under load: its sparkline turns red from then on.
      await agents.get('gamma')!.stop();
      agents.delete('gamma');
      await page.locator('#sparklines li[data-agent="gamma"][data-state="down"]').waitFor();
      await until(async () => (await ink('#sparklines li[data-agent="gamma"] canvas', 'red')) > 0, "gamma's sparkline to turn red");
      expect(await ink('#sparklines li[data-agent="alpha"] canvas', 'red')).toBe(0);
      await page.locator('#traffic-panel').screenshot({ path: join(ARTIFACTS, 'control-tower-charts.png') });
      await page.screenshot({ path: join(ARTIFACTS, 'control-tower-charts-page.png'), fullPage: true });
    } finally {
      loading = false;
      await Promise.all(workers);
    }
    expect(pageErrors).toEqual([]);
  });

  it('asks for the token of a protected tower, then shows the agents', async () => {
    const home = await start(['alpha'], { auth: 'letmein' });
    await page.goto(home);

    await page.locator('#auth-dialog[open]').waitFor();
    expect(await page.locator('#conn').getAttribute('data-state')).toBe('unauthorized');
    await page.fill('#auth-token', 'letmein');
    await page.click('#auth-form button[type="submit"]');

    await row('alpha').waitFor();
    await page.locator('#conn[data-state="live"]').waitFor();
    // The 401 of the first attempt shows up as a console error in Chromium; nothing else may.
    expect(pageErrors.filter((e) => !e.includes('401'))).toEqual([]);
  });
});
