// The departure times of the frames a rate-limited link is still serializing, oldest first: a
// ring of Float64 that grows by doubling when full, so a steady stream allocates nothing per
// frame. Its owner bounds the count (queueFrames); the times it is given never decrease.

const INITIAL_CAPACITY = 64;

export class DepartureQueue {
  #times = new Float64Array(INITIAL_CAPACITY);
  #head = 0;
  #count = 0;

  /** Frames still on the wire. */
  get count(): number {
    return this.#count;
  }

  /** Forgets the frames whose last bit has left by `now`. */
  expire(now: number): void {
    while (this.#count > 0 && this.#times[this.#head]! <= now) {
      this.#head = (this.#head + 1) % this.#times.length;
      this.#count--;
    }
  }

  push(departAt: number): void {
    if (this.#count === this.#times.length) this.#grow();
    this.#times[(this.#head + this.#count) % this.#times.length] = departAt;
    this.#count++;
  }

  clear(): void {
    this.#head = 0;
    this.#count = 0;
  }

  #grow(): void {
    const old = this.#times;
    const next = new Float64Array(old.length * 2);
    for (let i = 0; i < this.#count; i++) next[i] = old[(this.#head + i) % old.length]!;
    this.#times = next;
    this.#head = 0;
  }
}
