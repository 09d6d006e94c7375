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
