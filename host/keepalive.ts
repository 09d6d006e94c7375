// Keeps a Node process alive while a stack has work a user is waiting for (open sockets, pending
// pings), the way Node's own handles do, and lets it exit once there is none. Browsers have no
// such notion, so there it does nothing.

const FOREVER_MS = 0x7fff_ffff;

export class KeepAlive {
  #count = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  acquire(): void {
    if (this.#count++ === 0 && typeof process !== 'undefined') {
      this.#timer = setInterval(() => {}, FOREVER_MS);
    }
  }

  release(): void {
    if (this.#count === 0) return;
    if (--this.#count === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  releaseAll(): void {
    this.#count = 1;
    this.release();
  }
}

/**
 * One owner's share of a KeepAlive, as Node's handles have one: held while the owner is ref'd
 * (ref()/unref()) and still active (a bound socket, an open connection, a listening server).
 */
export class ProcessHold {
  #refed = true;
  #held = false;

  constructor(private readonly keepAlive: KeepAlive) {}

  /** ref() (true) or unref() (false); `active`: whether the owner has work now. */
  setRefed(refed: boolean, active: boolean): void {
    this.#refed = refed;
    this.update(active);
  }

  /** Holds the process while ref'd and `active`, lets it go otherwise. */
  update(active: boolean): void {
    const want = this.#refed && active;
    if (want && !this.#held) this.keepAlive.acquire();
    else if (!want && this.#held) this.keepAlive.release();
    this.#held = want;
  }
}
