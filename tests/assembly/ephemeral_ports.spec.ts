// Ephemeral port choice (RFC 6056): a bind with no peer starts each search at a fresh keyed-hash
// point; a connection (RFC 6056 3.3.3, Algorithm 3) takes, for one peer, successive ports, so a
// port comes back to the same peer only after the whole range has been used.
import { EphemeralPorts, EPHEMERAL_PORT_FIRST, EPHEMERAL_PORT_LAST, EPHEMERAL_PORTS } from "../../assembly/socket/ephemeral_ports";
import { Secret } from "../../assembly/secret";

const LOCAL: u32 = 0x0a000001;
const PEER: u32 = 0x0a000002;
const OTHER_PEER: u32 = 0x0a000003;

/** The distance from port a forward to port b inside the range. */
function forward(a: i32, b: i32): i32 {
  return (b - a + EPHEMERAL_PORTS) % EPHEMERAL_PORTS;
}

describe("ephemeral ports for connections (RFC 6056 Algorithm 3)", () => {
  it("successive connections to one peer take successive ports", () => {
    const ports = new EphemeralPorts(new Secret(1, 2, 0));
    const first = ports.chooseFor(LOCAL, PEER, 80);
    expect<bool>(first >= EPHEMERAL_PORT_FIRST && first <= EPHEMERAL_PORT_LAST).toBe(true);
    let last = first;
    for (let i = 1; i < 100; i++) {
      const p = ports.chooseFor(LOCAL, PEER, 80);
      expect<i32>(forward(last, p)).toBe(1, "one port on");
      last = p;
    }
  });

  it("a port comes back to the same peer only after every other port of the range (none taken)", () => {
    const ports = new EphemeralPorts(new Secret(3, 4, 0));
    const first = ports.chooseFor(LOCAL, PEER, 443);
    for (let i = 1; i < EPHEMERAL_PORTS; i++) {
      expect<bool>(ports.chooseFor(LOCAL, PEER, 443) != first).toBe(true);
    }
    expect<i32>(ports.chooseFor(LOCAL, PEER, 443)).toBe(first);
  });

  it("taken ports are skipped, and the next choice goes on after the port handed out", () => {
    const ports = new EphemeralPorts(new Secret(5, 6, 0));
    const probe = new EphemeralPorts(new Secret(5, 6, 0));
    const start = probe.chooseFor(LOCAL, PEER, 80);
    const next = EPHEMERAL_PORT_FIRST + forward(EPHEMERAL_PORT_FIRST, start + 1);
    ports.take(<u32>start);
    ports.take(<u32>next);
    const p = ports.chooseFor(LOCAL, PEER, 80);
    expect<i32>(forward(start, p)).toBe(2, "two taken ports skipped");
    expect<i32>(forward(p, ports.chooseFor(LOCAL, PEER, 80))).toBe(1);
  });

  it("different peers start at unrelated points of the range", () => {
    const a = new EphemeralPorts(new Secret(7, 8, 0));
    const b = new EphemeralPorts(new Secret(7, 8, 0));
    const toPeer = a.chooseFor(LOCAL, PEER, 80);
    const toOther = b.chooseFor(LOCAL, OTHER_PEER, 80);
    const otherPort = b.chooseFor(LOCAL, PEER, 8080);
    expect<bool>(toPeer != toOther && forward(toPeer, toOther) != 1).toBe(true);
    expect<bool>(otherPort != toPeer).toBe(true);
  });

  it("a full range gives -1 at once", () => {
    const ports = new EphemeralPorts(new Secret(9, 10, 0));
    for (let p = EPHEMERAL_PORT_FIRST; p <= EPHEMERAL_PORT_LAST; p++) ports.take(<u32>p);
    expect<i32>(ports.chooseFor(LOCAL, PEER, 80)).toBe(-1);
    ports.release(50000);
    expect<i32>(ports.chooseFor(LOCAL, PEER, 80)).toBe(50000);
  });
});

describe("ephemeral ports for binds with no peer", () => {
  it("successive binds start at unrelated points (not one port on from the last)", () => {
    const ports = new EphemeralPorts(new Secret(11, 12, 0));
    let last = ports.choose(LOCAL);
    let adjacent = 0;
    for (let i = 0; i < 100; i++) {
      const p = ports.choose(LOCAL);
      if (forward(last, p) == 1) adjacent++;
      last = p;
    }
    expect<bool>(adjacent < 5).toBe(true, "random starting points");
  });
});
