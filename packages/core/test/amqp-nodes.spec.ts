import { AmqpTransport, createTransport, NaniteError, parseTransportUrl, redactUrl } from '../src';
import { resolveNodes } from '../src/transport/amqp/amqp.nodes';
import { QueueIncarnations } from '../src/transport/amqp/queue-incarnations';

const LIST = 'amqp://u:secret@h1:5672,h2:5673,h3/vh?prefix=p&nodeOrder=ordered';

describe('cluster host lists in amqp:// URLs', () => {
  it('parse as the first host with the whole list in ?nodes=', () => {
    const u = parseTransportUrl(LIST);
    expect(u.host).toBe('h1:5672');
    expect(u.username).toBe('u');
    expect(u.pathname).toBe('/vh');
    expect(u.searchParams.get('nodes')).toBe('h1:5672,h2:5673,h3');
    expect(u.searchParams.get('prefix')).toBe('p');
  });

  it('lose their credentials in redactUrl and in transport.url', () => {
    expect(redactUrl(LIST)).toBe('amqp://h1:5672,h2:5673,h3/vh?prefix=p&nodeOrder=ordered');
    const t = new AmqpTransport({ url: LIST });
    expect(t.url).not.toContain('secret');
    expect(t.url).toBe('amqp://h1:5672,h2:5673,h3/vh?prefix=p&nodeOrder=ordered');
  });

  it('give one amqplib URL per node, in the given order with nodeOrder=ordered, Nanite options removed', () => {
    const { nodes } = resolveNodes({ url: LIST, urls: undefined, heartbeat: 5, order: 'ordered' });
    expect(nodes.map((n) => n.name)).toEqual(['h1:5672', 'h2:5673', 'h3:5672']);
    expect(nodes[1]!.url).toBe('amqp://u:secret@h2:5673/vh?heartbeat=5');
    expect(nodes[1]!.safeUrl).toBe('amqp://h2:5673/vh?heartbeat=5');
  });

  it('are shuffled by default', () => {
    const seen = new Set<string>();
    for (const r of [0.01, 0.5, 0.99]) {
      const { nodes } = resolveNodes({ url: LIST, urls: undefined, heartbeat: 5, order: 'shuffled', random: () => r });
      expect(nodes.map((n) => n.name).sort()).toEqual(['h1:5672', 'h2:5673', 'h3:5672']);
      seen.add(nodes.map((n) => n.name).join());
    }
    expect(seen.size).toBeGreaterThan(1);
  });

  it('`urls` in options works like a host list; `url` then only contributes query options', () => {
    const t = new AmqpTransport({ urls: ['amqp://a:b@n1:5672/v', 'amqp://a:b@n2:5672/v'], prefix: 'x' });
    expect(t.url).toBe('amqp://n1:5672,n2:5672/v');
    expect(t.queueType).toBe('quorum');
    const { nodes } = resolveNodes({ url: undefined, urls: ['amqp://a:b@n1:5672/v', 'amqp://a:b@n2:5672/v'], heartbeat: 3, order: 'ordered' });
    expect(nodes.map((n) => n.url)).toEqual(['amqp://a:b@n1:5672/v?heartbeat=3', 'amqp://a:b@n2:5672/v?heartbeat=3']);
  });

  it('park queues are quorum queues with more than one node, classic with one, as ?queueType= says otherwise', () => {
    expect(new AmqpTransport({ url: 'amqp://h1,h2' }).queueType).toBe('quorum');
    expect(new AmqpTransport({ url: 'amqp://h1' }).queueType).toBe('classic');
    expect(new AmqpTransport({ url: 'amqp://h1:1,h2:2?queueType=classic' }).queueType).toBe('classic');
    expect(new AmqpTransport({ url: 'amqp://h1?queueType=quorum' }).queueType).toBe('quorum');
    expect((createTransport('amqp://u:p@h1:5672,h2:5672/v?prefix=q') as AmqpTransport).queueType).toBe('quorum');
  });

  it('bad queueType / nodeOrder / no URL at all: NANITE_ERR_INVALID_ARGUMENT', () => {
    for (const make of [() => new AmqpTransport({ url: 'amqp://h1?queueType=stream' }), () => new AmqpTransport({ url: 'amqp://h1,h2?nodeOrder=random' }), () => new AmqpTransport({})]) {
      expect(make).toThrow(NaniteError);
      try {
        make();
      } catch (err) {
        expect((err as NaniteError).code).toBe('NANITE_ERR_INVALID_ARGUMENT');
      }
    }
  });

  it('transport.node is undefined until connected; every node starts unknown', () => {
    const t = new AmqpTransport({ url: LIST });
    expect(t.node).toBeUndefined();
    expect(t.nodes().map((n) => [n.node, n.state])).toEqual([['h1:5672', 'unknown'], ['h2:5673', 'unknown'], ['h3:5672', 'unknown']]);
  });
});

describe('QueueIncarnations', () => {
  it('reports a change only for an agent seen before with another incarnation', () => {
    const q = new QueueIncarnations(own);
    expect(q.heard('a', 'x1', false)).toBe(false);
    expect(q.heard('a', 'x1', false)).toBe(false);
    expect(q.heard('a', 'x2', false)).toBe(true);
    expect(q.heard('a', undefined, false)).toBe(false);
    expect(q.heard('a', 42, false)).toBe(false);
    expect(q.heard('a', 'x2', false)).toBe(false);
  });

  it('is bounded: the least recently heard agent is forgotten first', () => {
    const q = new QueueIncarnations(own, 2);
    q.heard('a', '1', false);
    q.heard('b', '1', false);
    q.heard('a', '1', false);
    q.heard('c', '1', false);
    expect(q.size).toBe(2);
    // b was forgotten: a new incarnation of it is not a change; a's still is.
    expect(q.heard('b', '2', false)).toBe(false);
    expect(q.heard('c', '2', false)).toBe(true);
  });

  it('believes a heartbeat\'s queue name only when it is the agent\'s own queue, and forgets it when the next one names none', () => {
    const q = new QueueIncarnations(own);
    q.heard('a', '1', true, 'P.agent.a');
    expect(q.queueOf('a')).toBe('P.agent.a');
    // Another agent's queue, a fresh name, a control queue, a mapper's queue, not a string: never.
    for (const name of ['P.agent.b', 'P.agent.a.0badf00d', 'P.agent.a.control', 'P.mapper.m', 42, '']) {
      q.heard('a', '1', true, name);
      expect(q.queueOf('a')).toBeUndefined();
    }
    q.heard('a', '1', true, 'P.agent.a');
    q.heard('a', '1', true); // draining: the header is gone
    expect(q.queueOf('a')).toBeUndefined();
    expect(q.queueOf('never-heard')).toBeUndefined();
  });
});

function own(identity: string): string {
  return `P.agent.${identity}`;
}
