/**
 * What an agent remembers about requests so that a re-sent request is never run twice.
 *
 * A mapper re-sends the requests whose fate it cannot know after a reconnect (they may have been
 * lost in a deleted queue, or their result may have been). The agent answers a re-sent request
 * from here: still running → the one result will follow; finished recently → the cached result is
 * sent again. It keeps the last {@link RECENT} results while connected (the replies an outage can
 * swallow are the last few sent before it) and every result from an outage until `window` ms after
 * the reconnect, when the re-sent requests arrive.
 *
 * Both are bounded in bytes as well as in count ({@link RECENT_BYTES}, {@link HELD_BYTES}): at
 * 64 KiB per result, 4 096 kept results would pin 256 MiB of buffers (and 100 000 held through an
 * outage, 6 GiB).
 *
 * Hot path: one Map insert and delete per request in the (small) table of running requests, and a
 * slot of a fixed ring for its result, its bytes copied into one fixed buffer (result-arena.ts: the
 * published frames it came from are not kept), indexed by id in a typed-array hash table (slot-index.ts):
 * a 4 096-entry Map churned on every request (insert the newest, delete the oldest) cost ~1–2 µs
 * per request, most of this file's time in a profile. Results finished through an outage, when
 * re-sends are expected, go to a per-mapper Map.
 */

import { ResultArena } from './result-arena';
import { SlotIndex } from './slot-index';

/** A request the agent is running. */
export interface RunningRequest {
  /** The sending mapper link's session (a mapper restarted under the same identity has another). */
  session: string;
  /** Direct reply-to address of the first delivery, when the mapper gave one (a later copy never changes it). */
  address: string | undefined;
  /** Its mapper re-sent it while it ran: the result also goes to the mapper's named queue. */
  resent?: boolean;
  /** The delivery its result settles (a byte transport may acknowledge it with the reply): the channel it came on (opaque) and its tag. */
  delivery?: { channel: object; tag: number } | undefined;
}

interface Finished {
  session: string;
  bytes: Buffer;
}

interface PerMapper {
  name: string;
  running: Map<number, RunningRequest>;
  /** Results finished through an outage (the held ones). */
  finished: Map<number, Finished>;
  /** Ring slots holding this mapper's recent results. */
  recent: number;
}

/** Results kept while connected. */
const RECENT = 4_096;
/** Bytes of the results kept while connected (the oldest go first past it). */
export const RECENT_BYTES = 8 * 1024 * 1024;
/** Largest result copied into the arena (a larger one keeps its own buffer). */
const ARENA_ITEM_MAX = RECENT_BYTES / 8;
/** Most results kept through an outage (bounds memory during long ones). */
const HELD_MAX = 100_000;
/** Most bytes of results kept through an outage. */
export const HELD_BYTES = 128 * 1024 * 1024;

/** Running requests and recent results, per mapper. */
export class ReplyCache {
  private readonly mappers = new Map<string, PerMapper>();
  private readonly ringOwner: Array<PerMapper | undefined> = new Array<PerMapper | undefined>(RECENT).fill(undefined);
  private readonly ringId = new Float64Array(RECENT);
  private readonly ringSession: Array<string | undefined> = new Array<string | undefined>(RECENT).fill(undefined);
  /** Where a slot's result is in the arena (-1: kept outside it, in `ringResult`), and its bytes. */
  private readonly ringOffset = new Int32Array(RECENT);
  private readonly ringSize = new Int32Array(RECENT);
  private readonly ringResult: Array<Buffer | undefined> = new Array<Buffer | undefined>(RECENT).fill(undefined);
  private readonly arena = new ResultArena(RECENT_BYTES, ARENA_ITEM_MAX);
  /** Evicts, oldest first, the results the arena's next write reaches (see ResultArena.store). */
  private readonly makeRoom = (clash: (offset: number, length: number) => boolean): void => {
    while (this.ringLength > 0 && clash(this.ringOffset[this.ringStart]!, this.ringSize[this.ringStart]!)) this.evictOldest();
  };
  /** Bytes each slot is charged (its share of a message several results share). */
  private readonly ringCost = new Float64Array(RECENT);
  /** The ring's slots by request id and mapper. */
  private readonly index = new SlotIndex<PerMapper>(
    RECENT,
    (slot) => this.ringId[slot]!,
    (slot) => this.ringOwner[slot],
  );
  /** Oldest slot of the ring, and how many slots hold a result. */
  private ringStart = 0;
  private ringLength = 0;
  private ringBytes = 0;
  private heldBytes = 0;
  /** Results finished while holding (outage until `window` after it), evicted together afterwards. */
  private held: Array<[PerMapper, number]> = [];
  private holdUntil = 0;
  private down = false;
  private entries = 0;
  /** Results not kept because the outage hold was full. */
  overflowed = 0;

  /** `onOverflow` is called for each result not kept because the outage hold is full. */
  constructor(
    private readonly window: number,
    private readonly onOverflow: () => void = () => undefined,
  ) {}

  private of(mapper: string): PerMapper {
    let m = this.mappers.get(mapper);
    if (!m) this.mappers.set(mapper, (m = { name: mapper, running: new Map(), finished: new Map(), recent: 0 }));
    return m;
  }

  /** Entries held now (running requests and kept results). */
  get size(): number {
    return this.entries;
  }

  /** A (validated) request starts running. */
  begin(mapper: string, id: number, session: string, address: string | undefined, delivery?: RunningRequest['delivery']): void {
    const m = this.of(mapper);
    if (!m.running.has(id)) this.entries++;
    m.running.set(id, { session, address, delivery });
  }

  /** The request was settled without a result (dropped, a push, the agent gave up): forget it. */
  end(mapper: string, id: number): void {
    const m = this.mappers.get(mapper);
    if (m?.running.delete(id)) {
      this.entries--;
      this.prune(m);
    }
  }

  private prune(m: PerMapper): void {
    if (m.running.size === 0 && m.finished.size === 0 && m.recent === 0 && this.mappers.get(m.name) === m) this.mappers.delete(m.name);
  }

  private forget(m: PerMapper, id: number): void {
    if (m.finished.delete(id)) {
      this.entries--;
      this.prune(m);
    }
  }

  /** The request, when it is running for this session. */
  running(mapper: string, id: number, session?: string): RunningRequest | undefined {
    const r = this.mappers.get(mapper)?.running.get(id);
    return r && (session === undefined || r.session === session) ? r : undefined;
  }

  /** A finished request's encoded result, when still remembered for this session. */
  finished(mapper: string, id: number, session: string): Buffer | undefined {
    const m = this.mappers.get(mapper);
    if (!m) return undefined;
    const f = m.finished.get(id);
    if (f) return f.session === session ? f.bytes : undefined;
    const pos = m.recent === 0 ? undefined : this.index.find(id, m);
    if (pos === undefined || this.ringSession[pos] !== session) return undefined;
    const offset = this.ringOffset[pos]!;
    // A copy: the arena's bytes are overwritten by later results, maybe before this one is written out.
    return offset < 0 ? this.ringResult[pos] : Buffer.from(this.arena.view(offset, this.ringSize[pos]!));
  }

  /**
   * Moves a request from running to finished, keeping its encoded result. `cost`: the bytes to
   * charge it (default all of `bytes`; a message holding several results charges each its share).
   */
  finish(mapper: string, id: number, bytes: Buffer, cost = bytes.length): void {
    const m = this.mappers.get(mapper);
    const r = m?.running.get(id);
    if (!m || !r) return;
    m.running.delete(id);
    // A copy that ran again (not a re-send: those are answered from here) keeps the first result.
    if (this.window <= 0 || m.finished.has(id) || (m.recent !== 0 && this.index.find(id, m) !== undefined)) {
      this.entries--;
      this.prune(m);
      return;
    }
    if (this.down || (this.holdUntil !== 0 && Date.now() < this.holdUntil)) {
      if (this.held.length < HELD_MAX && this.heldBytes + cost <= HELD_BYTES) {
        m.finished.set(id, { session: r.session, bytes });
        this.held.push([m, id]);
        this.heldBytes += cost;
      } else {
        // Past the hold's bound the result is not kept: a re-send of it would run again.
        this.overflowed++;
        this.onOverflow();
        this.entries--;
        this.prune(m);
      }
      return;
    }
    if (this.held.length > 0) this.releaseHeld();
    while (this.ringLength === RECENT || (this.ringLength > 0 && this.ringBytes + cost > RECENT_BYTES)) this.evictOldest();
    const offset = this.arena.store(bytes, this.makeRoom);
    // Evicting this mapper's last kept result pruned it (its request is no longer running): it keeps this one.
    if (this.mappers.get(m.name) !== m) this.mappers.set(m.name, m);
    const pos = (this.ringStart + this.ringLength) % RECENT;
    this.ringOwner[pos] = m;
    this.ringId[pos] = id;
    this.ringSession[pos] = r.session;
    this.ringOffset[pos] = offset;
    this.ringSize[pos] = bytes.length;
    this.ringResult[pos] = offset < 0 ? bytes : undefined;
    this.ringLength++;
    this.ringCost[pos] = cost;
    this.ringBytes += cost;
    m.recent++;
    this.index.add(id, pos);
  }

  private evictOldest(): void {
    const pos = this.ringStart;
    const owner = this.ringOwner[pos];
    if (owner) {
      this.index.remove(this.ringId[pos]!, pos);
      owner.recent--;
      this.entries--;
      this.prune(owner);
    }
    this.ringBytes -= owner ? this.ringCost[pos]! : 0;
    this.ringOwner[pos] = undefined;
    this.ringSession[pos] = undefined;
    this.ringResult[pos] = undefined;
    this.ringStart = (pos + 1) % RECENT;
    this.ringLength--;
  }

  private releaseHeld(): void {
    for (const [m, id] of this.held) this.forget(m, id);
    this.held = [];
    this.heldBytes = 0;
    this.holdUntil = 0;
  }

  /** The connection went down (true) or came back (false). Only a comeback after an outage holds results. */
  connection(down: boolean): void {
    if (!down && this.down) this.holdUntil = Date.now() + this.window;
    this.down = down;
  }

  /** Forgets everything (link closed). */
  clear(): void {
    this.mappers.clear();
    this.ringOwner.fill(undefined);
    this.ringSession.fill(undefined);
    this.ringResult.fill(undefined);
    this.arena.clear();
    this.index.clear();
    this.ringStart = 0;
    this.ringLength = 0;
    this.ringBytes = 0;
    this.held = [];
    this.heldBytes = 0;
    this.entries = 0;
  }
}
