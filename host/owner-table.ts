// handle -> owner, for the session's registry and its batches of owners to check, without a Map
// or a Set.
//
// Why not a Map: sockets come and go thousands of times a second, and a Map whose keys churn is
// rehashed every few dozen operations. V8 leaves each replaced hash table pointing at its
// successor and still holding its entries (for iterators still walking it). One such table
// promoted to the old generation keeps every later table, and every owner those held, alive
// through each scavenge until the next full collection: a quarter of everything a connection
// allocated survived, and scavenges took 5 ms instead of 0.4 (Set.clear() does the same).
//
// Instead, a handle's own bits say where its owner lives (bindings/layout.ts HANDLE_*): one array
// per pool tag, indexed by the handle's slot. An entry holds the full handle too, so a stale
// handle (same slot, older generation) finds nothing. The arrays only grow, to the largest slot
// index seen, and never hold anything once its entry is deleted.

import { layout } from '../bindings/index.js';

const INDEX_MASK = (1 << layout.HANDLE_INDEX_BITS) - 1;
const TAG_MASK = layout.HANDLE_TAG_COUNT - 1;

/** One pool tag's entries. */
interface TagEntries<T> {
  owners: (T | undefined)[];
  handles: number[];
  /** The batch each entry was last collected into (see collect). */
  marks: number[];
}

export class OwnerTable<T> {
  readonly #tags: TagEntries<T>[] = [];

  constructor() {
    for (let tag = 0; tag < layout.HANDLE_TAG_COUNT; tag++) this.#tags.push({ owners: [], handles: [], marks: [] });
  }

  get(handle: number): T | undefined {
    const entries = this.#tags[(handle >>> layout.HANDLE_TAG_SHIFT) & TAG_MASK]!;
    const index = handle & INDEX_MASK;
    return entries.handles[index] === handle ? entries.owners[index] : undefined;
  }

  set(handle: number, owner: T): void {
    const entries = this.#tags[(handle >>> layout.HANDLE_TAG_SHIFT) & TAG_MASK]!;
    const index = handle & INDEX_MASK;
    // Grown one entry at a time, so the arrays stay dense (holes would make them slow).
    while (entries.handles.length <= index) {
      entries.owners.push(undefined);
      entries.handles.push(0);
      entries.marks.push(0);
    }
    entries.handles[index] = handle;
    entries.owners[index] = owner;
  }

  /** Forgets `handle`'s owner (if it is still the one registered) and returns it. */
  delete(handle: number): T | undefined {
    const entries = this.#tags[(handle >>> layout.HANDLE_TAG_SHIFT) & TAG_MASK]!;
    const index = handle & INDEX_MASK;
    if (entries.handles[index] !== handle) return undefined;
    const owner = entries.owners[index];
    entries.handles[index] = 0;
    entries.owners[index] = undefined;
    return owner;
  }

  /**
   * Appends `handle`'s owner to `batch` unless it was already collected into the batch numbered
   * `batchId` (callers number each batch anew): each owner once per batch however many events
   * name it.
   */
  collect(handle: number, batch: T[], batchId: number): void {
    const entries = this.#tags[(handle >>> layout.HANDLE_TAG_SHIFT) & TAG_MASK]!;
    const index = handle & INDEX_MASK;
    if (entries.handles[index] !== handle || entries.marks[index] === batchId) return;
    const owner = entries.owners[index];
    if (owner === undefined) return;
    entries.marks[index] = batchId;
    batch.push(owner);
  }

  /** Every owner, in a new array (for the rare walks over all: an overflowed event ring, close). */
  owners(): T[] {
    const out: T[] = [];
    for (const entries of this.#tags) {
      for (const owner of entries.owners) if (owner !== undefined) out.push(owner);
    }
    return out;
  }

  clear(): void {
    for (const entries of this.#tags) {
      entries.owners.fill(undefined);
      entries.handles.fill(0);
    }
  }
}
