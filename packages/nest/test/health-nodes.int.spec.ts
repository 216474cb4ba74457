/** NaniteHealthIndicator on a node list (a cluster with one node unreachable): up, on which node, which are down. */
import { Test } from '@nestjs/testing';
import { NaniteHealthIndicator, NaniteModule } from '../src';
import { AMQP_URL, Prefixes } from './amqp.helpers';
import { CalcActor, MathService } from './fixtures';
import { Closer, MemoryLogger } from './helpers';

describe('NaniteHealthIndicator with a cluster node list', () => {
  const closer = new Closer();
  const prefixes = new Prefixes();

  afterEach(async () => {
    await closer.closeAll();
    await prefixes.removeAll(AMQP_URL);
  });

  it('reports the node it is on and a partial outage (a node down) while staying up', async () => {
    const shared = new URL(AMQP_URL);
    // Port 1 on loopback refuses at once: the "node" that is down. The shared broker is the one up.
    const url = `amqp://${shared.username}:${shared.password}@127.0.0.1:1,${shared.host}${shared.pathname}?prefix=${prefixes.next('health')}&nodeOrder=ordered&queueType=classic`;
    const app = closer.add(
      await Test.createTestingModule({
        imports: [NaniteModule.forRoot({ url, agent: { identity: 'clustered' }, logger: new MemoryLogger() })],
        providers: [MathService, CalcActor],
      }).compile(),
    );
    await app.init();
    const nanite = app.get(NaniteHealthIndicator);
    const node = `${shared.hostname}:${shared.port || '5672'}`;
    await expect(nanite.check('nanite')).resolves.toMatchObject({
      nanite: { status: 'up', connected: true, node, nodesDown: ['127.0.0.1:1'] },
    });
  });
});
