// The transport-neutral in-flight bookkeeping of a networked mapper link (shared/request-tracker.ts):
// what publishing throws never leaves a request behind, and never escapes the transport callback
// (a Register or Ping) that re-sends held requests.
import { NaniteError, type RequestPacket } from '../src';
import { RequestTracker } from '../src/transport/shared/request-tracker';
import type { InFlightEntry } from '../src/transport/shared/in-flight';

const request = (id: number): RequestPacket => ({ v: 1, type: 'request', id, route: '/r/x', payload: id, replyTo: 'm', timeout: 0, hops: 0 });
const how = { persistent: false, atMostOnce: false, expiresAt: 0 };

function tracker(publish: (agent: string, e: InFlightEntry, resent: boolean) => void) {
  const failed: Array<[string, string]> = [];
  const t = new RequestTracker({
    bufferSize: 100,
    rejoinTimeout: 60_000,
    publish,
    undeliverable: () => undefined,
    agentGone: () => undefined,
    republishFailed: (agent, err) => failed.push([agent, (err as Error).message]),
  });
  return { t, failed };
}

test('a request whose publishing throws is not kept in flight, and the throw reaches the sender', () => {
  const { t } = tracker(() => { throw new NaniteError('NANITE_ERR_PAYLOAD', { message: 'too large' }); });
  t.reattached();
  expect(() => t.send('a', request(1), how)).toThrow('too large');
  expect(t.size).toBe(0);
  expect(t.has('a')).toBe(false);
});

test('re-sending held requests when their agent is heard from never throws; what could not go stays held, and goes on the next sign of life', () => {
  const sent: number[] = [];
  let channelOpen = true;
  let calls = 0;
  const { t, failed } = tracker((_agent, e) => {
    // The channel closes under the second publish.
    if (++calls === 2) channelOpen = false;
    if (!channelOpen) throw new Error('Channel closed');
    sent.push(e.packet.id);
  });
  for (const id of [1, 2, 3]) t.send('a', request(id), how); // detached: held
  expect(t.holds('a')).toBe(true);
  t.reattached();
  expect(() => t.heardFrom('a')).not.toThrow();
  expect(sent).toEqual([1]);
  expect(failed).toEqual([['a', 'Channel closed']]);
  expect(t.size).toBe(3); // 1 sent, 2 and 3 still held
  expect(t.holds('a')).toBe(true);
  channelOpen = true;
  t.heardFrom('a');
  expect(sent.sort()).toEqual([1, 1, 2, 3]); // 1 again (marked re-sent: it may have reached the agent), then 2 and 3
  expect(t.holds('a')).toBe(false);
  t.clear();
});
