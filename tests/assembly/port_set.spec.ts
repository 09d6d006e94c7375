import { PortSet, PORT_COUNT, PORT_MAX } from "../../assembly/storage/port_set";

// A tiny deterministic generator (xorshift32) so every run makes the same operations.
let state: u32 = 0x2545f491;
function rnd(n: i32): i32 {
  state ^= state << 13;
  state ^= state >> 17;
  state ^= state << 5;
  return <i32>(state % <u32>n);
}

/** The model: one bool per port, answered by walking ports one at a time (RFC 6056's loop). */
class Model {
  taken: StaticArray<bool> = new StaticArray<bool>(PORT_COUNT);
  freeIn(first: i32, last: i32): i32 {
    let n = 0;
    for (let p = first; p <= last; p++) if (!this.taken[p]) n++;
    return n;
  }
  nextFree(first: i32, last: i32, from: i32): i32 {
    const count = last - first + 1;
    for (let i = 0; i < count; i++) {
      const p = first + (from - first + i) % count;
      if (!this.taken[p]) return p;
    }
    return -1;
  }
}

describe("port set", () => {
  it("takes, reports and releases single ports", () => {
    const s = new PortSet();
    expect<bool>(s.has(80)).toBe(false);
    expect<bool>(s.take(80)).toBe(true);
    expect<bool>(s.has(80)).toBe(true);
    expect<bool>(s.take(80)).toBe(false); // already taken
    expect<i32>(s.size).toBe(1);
    expect<bool>(s.release(80)).toBe(true);
    expect<bool>(s.release(80)).toBe(false);
    expect<bool>(s.has(80)).toBe(false);
    expect<i32>(s.size).toBe(0);
  });

  it("refuses ports outside 0..65535", () => {
    const s = new PortSet();
    expect<bool>(s.take(-1)).toBe(false);
    expect<bool>(s.take(PORT_COUNT)).toBe(false);
    expect<bool>(s.has(PORT_COUNT)).toBe(false);
    expect<bool>(s.release(-5)).toBe(false);
    expect<bool>(s.take(0)).toBe(true);
    expect<bool>(s.take(PORT_MAX)).toBe(true);
    expect<i32>(s.size).toBe(2);
  });

  it("finds the next free port at or after the offset, wrapping inside the range", () => {
    const s = new PortSet();
    for (let p = 49152; p <= 49160; p++) s.take(p);
    expect<i32>(s.nextFree(49152, 65535, 49152)).toBe(49161);
    expect<i32>(s.nextFree(49152, 65535, 50000)).toBe(50000);
    for (let p = 60000; p <= 65535; p++) s.take(p);
    // From 60000 nothing is free up to 65535: wrap to the first free after 49152.
    expect<i32>(s.nextFree(49152, 65535, 60000)).toBe(49161);
    // From outside the range the search starts at first.
    expect<i32>(s.nextFree(49152, 65535, 10)).toBe(49161);
  });

  it("answers -1 and freeIn 0 for a full range, and finds the one port freed in it", () => {
    const s = new PortSet();
    for (let p = 1024; p <= 65535; p++) s.take(p);
    expect<i32>(s.freeIn(1024, 65535)).toBe(0);
    expect<i32>(s.nextFree(1024, 65535, 30000)).toBe(-1);
    expect<i32>(s.freeIn(0, 65535)).toBe(1024);
    s.release(4000);
    expect<i32>(s.freeIn(1024, 65535)).toBe(1);
    expect<i32>(s.nextFree(1024, 65535, 30000)).toBe(4000);
    expect<i32>(s.nextFree(1024, 65535, 4001)).toBe(4000);
    expect<i32>(s.nextFree(1024, 65535, 4000)).toBe(4000);
  });

  it("treats an empty or reversed range as having no free port", () => {
    const s = new PortSet();
    expect<i32>(s.freeIn(10, 9)).toBe(0);
    expect<i32>(s.nextFree(10, 9, 10)).toBe(-1);
    expect<i32>(s.freeIn(7, 7)).toBe(1);
    expect<i32>(s.nextFree(7, 7, 7)).toBe(7);
    s.take(7);
    expect<i32>(s.nextFree(7, 7, 7)).toBe(-1);
  });

  it("counts the free ports of its range as they change, and after setRange", () => {
    const s = new PortSet(49152, 65535);
    expect<i32>(s.freeIn(49152, 65535)).toBe(16384);
    s.take(49152);
    s.take(65535);
    s.take(1000); // outside the range
    expect<i32>(s.freeIn(49152, 65535)).toBe(16382);
    s.release(65535);
    s.release(65535); // already free: no change
    expect<i32>(s.freeIn(49152, 65535)).toBe(16383);
    s.setRange(1000, 1001);
    expect<i32>(s.freeIn(1000, 1001)).toBe(1);
    s.take(1001);
    expect<i32>(s.freeIn(1000, 1001)).toBe(0);
    expect<i32>(s.nextFree(1000, 1001, 1000)).toBe(-1);
    s.release(1000);
    expect<i32>(s.nextFree(1000, 1001, 1001)).toBe(1000);
    expect<i32>(s.freeIn(49152, 65535)).toBe(16383); // still right when counted the long way
  });

  it("agrees with a port-by-port model under random take/release and queries", () => {
    const s = new PortSet(40000, 48999);
    const m = new Model();
    // Clustered ports make whole words and blocks fill up, so the summaries are exercised.
    for (let step = 0; step < 20000; step++) {
      const op = rnd(10);
      const port = rnd(4) == 0 ? rnd(PORT_COUNT) : 40000 + rnd(9000);
      if (op < 6) {
        expect<bool>(s.take(port)).toBe(!m.taken[port]);
        m.taken[port] = true;
      } else if (op < 8) {
        expect<bool>(s.release(port)).toBe(m.taken[port]);
        m.taken[port] = false;
      } else {
        expect<bool>(s.has(port)).toBe(m.taken[port]);
      }
      if (step % 53 == 0) {
        let first = rnd(PORT_COUNT);
        let last = rnd(5) == 0 ? first + rnd(200) : rnd(PORT_COUNT);
        if (last > PORT_MAX) last = PORT_MAX;
        if (first > last) { const t = first; first = last; last = t; }
        const from = first + rnd(last - first + 1);
        expect<i32>(s.freeIn(first, last)).toBe(m.freeIn(first, last));
        expect<i32>(s.nextFree(first, last, from)).toBe(m.nextFree(first, last, from));
        expect<i32>(s.freeIn(40000, 48999)).toBe(m.freeIn(40000, 48999)); // the counted range
        expect<i32>(s.nextFree(40000, 48999, 40000 + rnd(9000)) >= 0).toBe(m.freeIn(40000, 48999) > 0);
      }
    }
    let total = 0;
    for (let p = 0; p < PORT_COUNT; p++) if (m.taken[p]) total++;
    expect<i32>(s.size).toBe(total);
  });

  it("fills a whole range through nextFree one port at a time, then refuses", () => {
    const s = new PortSet();
    const first = 32768;
    const last = 33791;
    let from = first + 517;
    for (let i = 0; i <= last - first; i++) {
      const p = s.nextFree(first, last, from);
      expect<bool>(p >= first && p <= last).toBe(true);
      expect<bool>(s.take(p)).toBe(true);
      from = first + (from - first + 389) % (last - first + 1);
    }
    expect<i32>(s.freeIn(first, last)).toBe(0);
    expect<i32>(s.nextFree(first, last, first)).toBe(-1);
    expect<i32>(s.nextFree(first - 1, last + 1, first)).toBe(last + 1);
    expect<i32>(s.nextFree(first, last + 1, first)).toBe(last + 1);
  });
});
