/**
 * The broker nodes an amqp:// transport may connect to: from `url` (one host, or a host list) or
 * `urls`, each reduced to what amqplib connects to, in the order they are tried.
 */
import { NaniteError } from '../../errors';
import { nodeName, nodeUrls } from '../host-list';
import { parseTransportUrl, redactUrl } from '../redact-url';
import type { AmqpNode } from './amqp.connection';
import { brokerUrl, type AmqpNodeOrder } from './amqp.options';

/** What {@link resolveNodes} reads. */
export interface ResolveNodesInput {
  url: string | undefined;
  urls: readonly string[] | undefined;
  heartbeat: number;
  order: AmqpNodeOrder;
  /** For tests: picks the shuffle (default Math.random). */
  random?: () => number;
}

/**
 * The nodes to try, in order (shuffled unless `order` is `ordered`), and the URL to show for
 * them: `url` redacted, or the nodes as one redacted host list.
 */
export function resolveNodes(input: ResolveNodesInput): { nodes: AmqpNode[]; safeUrl: string } {
  const given = input.urls && input.urls.length > 0 ? input.urls.map((u) => parseTransportUrl(u)) : undefined;
  if (!given && input.url === undefined) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: 'amqp:// needs `url` or `urls`' });
  const urls = given ? given.flatMap((u) => nodeUrls(u)) : nodeUrls(parseTransportUrl(input.url!));
  const nodes: AmqpNode[] = urls.map((u) => {
    const url = brokerUrl(u, input.heartbeat);
    return { url, safeUrl: redactUrl(url), name: nodeName(u) };
  });
  const safeUrl = urls.length > 1 ? hostList(urls) : redactUrl(input.url ?? urls[0]!.toString());
  if (input.order === 'shuffled') shuffle(nodes, input.random ?? Math.random);
  return { nodes, safeUrl };
}

/** `amqp://h1:5672,h2:5672/vhost`, without credentials. */
function hostList(urls: readonly URL[]): string {
  const first = new URL(urls[0]!.toString());
  first.username = '';
  first.password = '';
  const hosts = urls.map((u) => u.host).join(',');
  return first.toString().replace(`//${first.host}`, `//${hosts}`);
}

function shuffle<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}
