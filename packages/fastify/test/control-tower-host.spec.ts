/** DNS-rebinding protection: a Control Tower without auth answers only this machine's own Host names. */
import { request as httpRequest } from 'node:http';
import { connect } from 'node:http2';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { nanitePlugin, naniteControlTower } from '../src';
import { busUrl } from './helpers';

/** A GET on a real socket with the Host header given verbatim (as a browser that was rebound would send). */
function getWithHost(port: number, path: string, host: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers: { host, ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

describe('Control Tower Host check', () => {
  let app: FastifyInstance;

  beforeEach(() => {
    app = Fastify();
  });

  afterEach(async () => {
    await app.close();
  });

  async function setup(tower: Parameters<typeof naniteControlTower>[1] = {}): Promise<void> {
    await app.register(nanitePlugin, { url: busUrl(), mapperOptions: { discoveryWindow: 0 } });
    await app.register(naniteControlTower, tower);
    await app.ready();
  }

  async function listen(): Promise<number> {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    return address.port;
  }

  it('without auth, answers the loopback names and refuses any other Host with 403 and a clear message (real listener)', async () => {
    await setup();
    const port = await listen();

    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'LOCALHOST', `localhost.:${port}`]) {
      const ok = await getWithHost(port, '/nanite/api/agents', host);
      expect({ host, status: ok.status }).toEqual({ host, status: 200 });
    }
    for (const host of [`evil.example:${port}`, 'evil.example', `localhost.evil.example:${port}`, `127.0.0.1.nip.io:${port}`, `192.168.1.20:${port}`]) {
      for (const path of ['/nanite/api/agents', '/nanite/api/events', '/nanite/']) {
        const refused = await getWithHost(port, path, host);
        expect({ host, path, status: refused.status }).toEqual({ host, path, status: 403 });
        expect(JSON.parse(refused.body)).toMatchObject({ error: 'Forbidden', message: expect.stringMatching(/^Host ".*" is not allowed: .*DNS rebinding/) });
      }
    }
  });

  it('ignores X-Forwarded-Host, which a rebound page could set itself', async () => {
    await app.close();
    app = Fastify({ trustProxy: true });
    await setup();
    const port = await listen();

    const res = await getWithHost(port, '/nanite/api/agents', `evil.example:${port}`, { 'x-forwarded-host': 'localhost' });

    expect(res.status).toBe(403);
  });

  it('refuses a foreign Host through inject too, POST api/request included', async () => {
    await setup();

    const res = await app.inject({ method: 'POST', url: '/nanite/api/request', headers: { host: 'attacker.test' }, payload: { route: '/x/y', payload: null } });
    const local = await app.inject({ method: 'GET', url: '/nanite/api/agents' }); // inject's default Host: localhost:80

    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ message: expect.stringContaining('Host "attacker.test" is not allowed') });
    expect(local.statusCode).toBe(200);
  });

  it('also answers the names in allowedHosts, and any Host with allowedHosts: "any"', async () => {
    await setup({ allowedHosts: ['tower.internal'] });
    const port = await listen();

    expect((await getWithHost(port, '/nanite/api/agents', `tower.internal:${port}`)).status).toBe(200);
    expect((await getWithHost(port, '/nanite/api/agents', `other.internal:${port}`)).status).toBe(403);

    const open = Fastify();
    await open.register(nanitePlugin, { url: busUrl(), mapperOptions: { discoveryWindow: 0 } });
    await open.register(naniteControlTower, { allowedHosts: 'any' });
    const res = await open.inject({ method: 'GET', url: '/nanite/api/agents', headers: { host: 'anything.example' } });
    await open.close();
    expect(res.statusCode).toBe(200);
  });

  it('matches IPv6 Host headers ([v6]:port, [v6]) against allowedHosts written bare (as --host gives it) or in brackets; IPv4 and DNS names unchanged (real listener)', async () => {
    await setup({ allowedHosts: ['fd00::5', '[2001:DB8::7]', '10.0.0.7', 'tower.internal'] });
    const port = await listen();
    const status = async (host: string): Promise<string> => `${host} ${(await getWithHost(port, '/nanite/api/agents', host)).status}`;

    const allowed = [`[fd00::5]:${port}`, '[fd00::5]', `[FD00:0:0::5]:${port}`, `[2001:db8::7]:${port}`, '[2001:db8:0::7]', `[::1]:${port}`, '[::1]', `10.0.0.7:${port}`, `tower.internal:${port}`, 'tower.internal.'];
    const refused = [`[fd00::6]:${port}`, `[fd00::5]:${port}x`, '[fd00::5', `[fd00::5]evil.example:${port}`, `fd00:${port}`, `[2001:db8::8]:${port}`, `10.0.0.8:${port}`, `other.internal:${port}`];
    for (const host of allowed) expect(await status(host)).toBe(`${host} 200`);
    for (const host of refused) expect(await status(host)).toBe(`${host} 403`);
  });

  it('refuses an IPv6 Host that allowedHosts does not name, and answers [::1] given explicitly as ::1 (as `nanite admin --host ::1` passes it)', async () => {
    await setup({ allowedHosts: ['::1'] });
    const port = await listen();

    expect((await getWithHost(port, '/nanite/api/agents', `[::1]:${port}`)).status).toBe(200);
    expect((await getWithHost(port, '/nanite/api/agents', `[0:0:0:0:0:0:0:1]:${port}`)).status).toBe(200);
    const refused = await getWithHost(port, '/nanite/api/agents', `[fd00::5]:${port}`);
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body)).toMatchObject({ message: expect.stringContaining('answers only localhost, 127.0.0.1, [::1]') });
  });

  it.each([
    ['a string instead of a list', 'tower.internal'],
    ['an empty name', ['']],
    ['a URL instead of a name', ['http://tower.internal']],
    ['brackets around no IPv6 address', ['[tower.internal]']],
    ['a name that is not a string', [42]],
  ])('refuses allowedHosts with %s at registration with NANITE_ERR_INVALID_ARGUMENT', async (_what, allowedHosts) => {
    await app.register(nanitePlugin, { url: busUrl(), mapperOptions: { discoveryWindow: 0 } });
    await expect(app.register(naniteControlTower, { allowedHosts: allowedHosts as readonly string[] }).ready()).rejects.toMatchObject({
      code: 'NANITE_ERR_INVALID_ARGUMENT',
      message: expect.stringContaining('allowedHosts'),
    });
  });

  it('over HTTP/2 (no Host header), checks :authority the same way', async () => {
    const h2 = Fastify({ http2: true });
    try {
      await h2.register(nanitePlugin, { url: busUrl(), mapperOptions: { discoveryWindow: 0 } });
      await h2.register(naniteControlTower);
      await h2.listen({ port: 0, host: '127.0.0.1' });
      const { port } = h2.server.address() as AddressInfo;
      const session = connect(`http://127.0.0.1:${port}`);
      const status = (authority: string): Promise<number> =>
        new Promise((resolve, reject) => {
          const stream = session.request({ ':path': '/nanite/api/agents', ':authority': authority });
          stream.once('response', (headers) => resolve(Number(headers[':status'])));
          stream.once('error', reject);
          stream.resume();
          stream.end();
        });
      try {
        expect(await status(`localhost:${port}`)).toBe(200);
        expect(await status(`evil.example:${port}`)).toBe(403);
      } finally {
        session.close();
      }
    } finally {
      await h2.close();
    }
  });

  it('with a token, leaves the decision to the token whatever the Host', async () => {
    await setup({ auth: 's3cret' });
    const port = await listen();

    expect((await getWithHost(port, '/nanite/api/agents', `tower.example.com:${port}`)).status).toBe(401);
    expect((await getWithHost(port, '/nanite/api/agents', `tower.example.com:${port}`, { authorization: 'Bearer s3cret' })).status).toBe(200);
  });
});
