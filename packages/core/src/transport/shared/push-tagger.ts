/**
 * Tags the pushes one mapper link sends, so that a push handed back by a draining agent is
 * re-sent only when this link really sent it to that agent: an HMAC, under a key that never leaves
 * the process, of the agent and the message bytes. (Requests need no tag: a bounced request is
 * matched against the link's in-flight table, and the stored packet is what gets re-sent.)
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const TAG_LENGTH = 22;

/** Signs and checks pushes of one link. */
export class PushTagger {
  private readonly key = randomBytes(32);

  /** The tag of `bytes` sent to `agent`. */
  tag(agent: string, bytes: Buffer): string {
    return createHmac('sha256', this.key).update(agent).update('\n').update(bytes).digest('base64url').slice(0, TAG_LENGTH);
  }

  /** True when `tag` is what {@link tag} gave for these bytes and this agent. */
  verify(agent: string, bytes: Buffer, tag: unknown): boolean {
    if (typeof tag !== 'string' || tag.length !== TAG_LENGTH) return false;
    return timingSafeEqual(Buffer.from(this.tag(agent, bytes)), Buffer.from(tag));
  }
}
