// Group commit: work that arrives while transactions are in flight waits for the next free slot and is then
// committed together with everything else that waited, in one transaction. A commit costs the database about the
// same whether it carries one row or fifty, so under load the rate of commits stops being the rate of requests;
// a lone item never waits, since a free slot starts its transaction at once.

export interface GroupCommitOptions<Item, Outcome> {
  /** Transactions at once: more keeps the database busy during each one's round trips, fewer makes bigger groups. */
  maxInFlight: number;
  maxGroupSize: number;
  /**
   * How long an item may wait for a slot: past it, it fails without being tried, so that its caller is answered
   * in about the time one attempt may take even when the transactions ahead of it hang until their deadline.
   */
  maxWaitMs: number;
  /** The error an item that waited too long fails with. */
  waitedTooLong: (waitedMs: number) => unknown;
  /** Commits one group: an outcome per item, in the items' order. A rejection fails every item of the group. */
  commit: (items: readonly Item[]) => Promise<Outcome[]>;
}

interface Waiting<Item, Outcome> {
  item: Item;
  since: number;
  resolve: (outcome: Outcome) => void;
  reject: (error: unknown) => void;
}

export class GroupCommit<Item, Outcome> {
  readonly #options: GroupCommitOptions<Item, Outcome>;
  readonly #waiting: Waiting<Item, Outcome>[] = [];
  #inFlight = 0;

  constructor(options: GroupCommitOptions<Item, Outcome>) {
    if (options.maxInFlight < 1 || options.maxGroupSize < 1)
      throw new RangeError('group commit needs a slot and room for an item');
    this.#options = options;
  }

  /** Settles once the item's group has committed (its outcome) or failed (the group's error). */
  submit(item: Item): Promise<Outcome> {
    const { promise, resolve, reject } = Promise.withResolvers<Outcome>();
    this.#waiting.push({ item, since: performance.now(), resolve, reject });
    if (this.#inFlight < this.#options.maxInFlight) this.#startGroup();
    return promise;
  }

  #startGroup(): void {
    const { maxGroupSize, maxWaitMs, waitedTooLong } = this.#options;
    const now = performance.now();
    const group: Waiting<Item, Outcome>[] = [];
    while (group.length < maxGroupSize && this.#waiting.length > 0) {
      const next = this.#waiting.shift() as Waiting<Item, Outcome>;
      const waitedMs = now - next.since;
      if (waitedMs > maxWaitMs) next.reject(waitedTooLong(waitedMs));
      else group.push(next);
    }
    if (group.length === 0) return;
    this.#inFlight++;
    void this.#commit(group);
  }

  async #commit(group: Waiting<Item, Outcome>[]): Promise<void> {
    try {
      const outcomes = await this.#options.commit(group.map((w) => w.item));
      if (outcomes.length !== group.length) {
        throw new Error(`group commit answered ${outcomes.length} outcomes for ${group.length} items`);
      }
      for (const [i, w] of group.entries()) w.resolve(outcomes[i] as Outcome);
    } catch (error) {
      for (const w of group) w.reject(error);
    } finally {
      this.#inFlight--;
      if (this.#waiting.length > 0) this.#startGroup();
    }
  }
}
