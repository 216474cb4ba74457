/** Two secure codecs for the envelope specs: an agent ('fred') and a mapper ('web') under one test CA. */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { LocalCredential } from '../src/serializer/secure/credential';
import { SecureCodec } from '../src/serializer/secure/secure-codec';
import { issue, makeCa } from './pki';

/**
 * The codecs after a real exchange: the mapper learned fred's key from a Register, fred learned the
 * mapper's from a request (as their links do), so each can seal for the other.
 */
export async function pairedCodecs(): Promise<{ agent: SecureCodec; mapper: SecureCodec }> {
  const ca = await makeCa();
  const codec = async (name: string): Promise<SecureCodec> => {
    const id = await issue(ca, name);
    return new SecureCodec({ local: new LocalCredential(new X509Certificate(id.cert), createPrivateKey(id.key), name, Date.now()), cas: [new X509Certificate(ca.pem)], maxSkew: 600_000, maxPeers: 16 });
  };
  const agent = await codec('fred');
  const mapper = await codec('web');
  const reg = mapper.open(agent.sign({ v: 1, type: 'register', identity: 'fred' }));
  if (typeof reg === 'string') throw new Error(reg);
  mapper.peers.bind('fred', reg.hex);
  const req = agent.open(mapper.seal({ v: 1, type: 'request', id: 1, route: '/a/b', replyTo: 'web', timeout: 0, hops: 0, payload: null } as { type: string }, 'fred')!);
  if (typeof req === 'string') throw new Error(req);
  agent.peers.bind('web', req.hex);
  return { agent, mapper };
}
