/** Two secure codecs for the envelope specs: an agent ('fred') and a mapper ('web') under one test CA. */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { AeadChoice } from '../src/serializer/secure/aead';
import { LocalCredential } from '../src/serializer/secure/credential';
import { SecureCodec } from '../src/serializer/secure/secure-codec';
import { issue, makeCa } from './pki';

/**
 * The codecs after a real exchange: the mapper learned fred's key from a Register, fred learned the
 * mapper's from a request (as their links do), so each can seal for the other. `aead`: each side's
 * choice of cipher (default `auto` for both).
 */
export async function pairedCodecs(aead: { agent?: AeadChoice; mapper?: AeadChoice } = {}): Promise<{ agent: SecureCodec; mapper: SecureCodec }> {
  const ca = await makeCa();
  const codec = async (name: string, choice: AeadChoice | undefined): Promise<SecureCodec> => {
    const id = await issue(ca, name);
    return new SecureCodec({ local: new LocalCredential(new X509Certificate(id.cert), createPrivateKey(id.key), name, Date.now()), cas: [new X509Certificate(ca.pem)], maxSkew: 600_000, maxPeers: 16, aead: choice });
  };
  const agent = await codec('fred', aead.agent);
  const mapper = await codec('web', aead.mapper);
  const reg = mapper.open(agent.sign({ v: 1, type: 'register', identity: 'fred' }));
  if (typeof reg === 'string') throw new Error(reg);
  mapper.peers.bind('fred', reg.hex);
  const req = agent.open(mapper.seal({ v: 1, type: 'request', id: 1, route: '/a/b', replyTo: 'web', timeout: 0, hops: 0, payload: null } as { type: string }, 'fred')!);
  if (typeof req === 'string') throw new Error(req);
  agent.peers.bind('web', req.hex);
  return { agent, mapper };
}
