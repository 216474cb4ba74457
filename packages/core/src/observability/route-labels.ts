/**
 * Bounded label values: routes come from callers and from the wire, so the first `max` distinct
 * ones keep their name and the rest are counted under `other`.
 */
export const OTHER_LABEL = 'other';

/** Maps values to at most `max` distinct labels plus {@link OTHER_LABEL}, with a per-label cache of `T`. */
export class BoundedLabels<T> {
  private readonly known = new Map<string, T>();
  private other: T | undefined;

  constructor(
    private readonly max: number,
    private readonly make: (label: string) => T,
  ) {}

  /** The entry of `value`, or of `other` once `max` labels exist. */
  get(value: string): T {
    const hit = this.known.get(value);
    if (hit !== undefined) return hit;
    if (this.known.size < this.max) {
      const made = this.make(value);
      this.known.set(value, made);
      return made;
    }
    return (this.other ??= this.make(OTHER_LABEL));
  }
}
