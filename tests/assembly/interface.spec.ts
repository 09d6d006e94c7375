// The interface's addresses and routes: loopback always present, connected prefixes, gateway.
import { Interface, NO_ROUTE, LOOPBACK_ADDRESS, LIMITED_BROADCAST } from "../../assembly/iface/interface";

function iface(): Interface {
  const i = new Interface();
  i.addAddress(0x0a000001, 24); // 10.0.0.1/24
  i.addAddress(0xc0a80105, 16); // 192.168.1.5/16
  return i;
}

describe("interface", () => {
  it("owns 127.0.0.1/8 without being told", () => {
    const i = new Interface();
    expect<bool>(i.isOwn(LOOPBACK_ADDRESS)).toBe(true);
    expect<bool>(i.isOwn(0x7f010203)).toBe(true);
    expect<bool>(i.isOwn(0x0a000001)).toBe(false);
  });

  it("owns its configured addresses only", () => {
    const i = iface();
    expect<bool>(i.isOwn(0x0a000001)).toBe(true);
    expect<bool>(i.isOwn(0xc0a80105)).toBe(true);
    expect<bool>(i.isOwn(0x0a000002)).toBe(false);
  });

  it("recognises limited and directed broadcasts, none for /31 and /32", () => {
    const i = iface();
    expect<bool>(i.isBroadcast(LIMITED_BROADCAST)).toBe(true);
    expect<bool>(i.isBroadcast(0x0a0000ff)).toBe(true);
    expect<bool>(i.isBroadcast(0xc0a8ffff)).toBe(true);
    expect<bool>(i.isBroadcast(0x0a0001ff)).toBe(false);
    const p = new Interface();
    p.addAddress(0x0a000001, 31);
    p.addAddress(0x0a000101, 32);
    expect<bool>(p.isBroadcast(0x0a000001)).toBe(false);
    expect<bool>(p.isBroadcast(0x0a000101)).toBe(false);
  });

  it("routes connected destinations directly and the rest through the gateway", () => {
    const i = iface();
    expect<u32>(i.nextHop(0x0a000063)).toBe(0x0a000063);
    expect<u32>(i.nextHop(0x08080808)).toBe(NO_ROUTE);
    i.gateway = 0x0a0000fe;
    expect<u32>(i.nextHop(0x08080808)).toBe(0x0a0000fe);
    expect<u32>(i.nextHop(0)).toBe(NO_ROUTE);
  });

  it("ignores a gateway that is not on a connected prefix", () => {
    const i = iface();
    i.gateway = 0x0b000001;
    expect<u32>(i.nextHop(0x08080808)).toBe(NO_ROUTE);
  });

  it("picks the source address of the longest matching prefix", () => {
    const i = iface();
    i.addAddress(0xc0a80201, 24); // 192.168.2.1/24 inside 192.168.0.0/16
    expect<u32>(i.sourceFor(0xc0a80207)).toBe(0xc0a80201);
    expect<u32>(i.sourceFor(0xc0a80307)).toBe(0xc0a80105);
    expect<u32>(i.sourceFor(0x0a000009)).toBe(0x0a000001);
    expect<u32>(i.sourceFor(0x7f000005)).toBe(LOOPBACK_ADDRESS);
  });

  it("refuses unusable addresses and a full table", () => {
    const i = new Interface();
    expect<bool>(i.addAddress(0, 24)).toBe(false);
    expect<bool>(i.addAddress(LIMITED_BROADCAST, 24)).toBe(false);
    expect<bool>(i.addAddress(0x0a000001, 33)).toBe(false);
    let added = 0;
    for (let n = 0; n < 20; n++) if (i.addAddress(0x0a000100 + n, 24)) added++;
    expect<i32>(added).toBe(i.addresses.length - 1);
  });
});

// ---------------------------------------------------------------------------------------------
// Boundaries of ownership, broadcast and routing, and source selection among several addresses.

describe("interface (edges)", () => {
  it("every 127/8 address is its own; 127.0.0.1 given again takes no slot", () => {
    const i = new Interface();
    expect<bool>(i.isOwn(0x7fffffff)).toBe(true);
    expect<bool>(i.isOwn(0x7f000000)).toBe(true);
    expect<bool>(i.isOwn(0x80000001)).toBe(false); // 128.0.0.1
    expect<bool>(i.isOwn(0x7effffff)).toBe(false); // 126.255.255.255
    expect<bool>(i.addAddress(LOOPBACK_ADDRESS, 8)).toBe(true);
    expect<i32>(i.count).toBe(1);
    expect<u32>(i.addresses[0]).toBe(LOOPBACK_ADDRESS);
  });

  it("an address added twice is held once", () => {
    const i = iface();
    expect<bool>(i.addAddress(0x0a000001, 24)).toBe(true);
    expect<i32>(i.count).toBe(3);
  });

  it("a /30 still has a directed broadcast; the network address is not one", () => {
    const i = new Interface();
    i.addAddress(0x0a000001, 30); // 10.0.0.1/30: broadcast 10.0.0.3
    expect<bool>(i.isBroadcast(0x0a000003)).toBe(true);
    expect<bool>(i.isBroadcast(0x0a000000)).toBe(false);
    expect<bool>(i.isBroadcast(0x0a000002)).toBe(false);
    expect<bool>(i.isBroadcast(0x0a000007)).toBe(false); // the broadcast of a wider prefix
  });

  it("/31 and /32 have no broadcast at all: every address in them is a host (RFC 3021)", () => {
    const i = new Interface();
    i.addAddress(0x0a000000, 31); // 10.0.0.0/31: hosts .0 and .1
    i.addAddress(0xc0a80001, 32);
    expect<bool>(i.isBroadcast(0x0a000001)).toBe(false);
    expect<bool>(i.isBroadcast(0x0a000000)).toBe(false);
    expect<bool>(i.isBroadcast(0xc0a80001)).toBe(false);
    expect<bool>(i.isBroadcast(LIMITED_BROADCAST)).toBe(true);
    // The peer on a /31 is connected: reached directly.
    expect<u32>(i.nextHop(0x0a000001)).toBe(0x0a000001);
  });

  it("with no address only the limited broadcast is a broadcast", () => {
    const i = new Interface();
    expect<bool>(i.isBroadcast(LIMITED_BROADCAST)).toBe(true);
    expect<bool>(i.isBroadcast(0x7fffffff)).toBe(false);
    expect<bool>(i.isBroadcast(0x0a0000ff)).toBe(false);
  });

  it("broadcasts are their own next hop (they go to the broadcast MAC, no ARP)", () => {
    const i = iface();
    i.gateway = 0x0a0000fe;
    expect<u32>(i.nextHop(LIMITED_BROADCAST)).toBe(LIMITED_BROADCAST);
    expect<u32>(i.nextHop(0x0a0000ff)).toBe(0x0a0000ff);
    expect<u32>(i.nextHop(0xc0a8ffff)).toBe(0xc0a8ffff);
  });

  it("a gateway on the second prefix routes; removing its prefix's match leaves no route", () => {
    const i = iface();
    i.gateway = 0xc0a80001; // 192.168.0.1, inside 192.168.1.5/16
    expect<u32>(i.nextHop(0x08080808)).toBe(0xc0a80001);
    expect<u32>(i.nextHop(0xc0a80909)).toBe(0xc0a80909); // connected beats the gateway
    const bare = new Interface();
    bare.gateway = 0xc0a80001;
    expect<u32>(bare.nextHop(0x08080808)).toBe(NO_ROUTE);
  });

  it("never routes 127/8 off the host, not even with a gateway (RFC 1122 3.2.1.3(g))", () => {
    const i = iface();
    i.gateway = 0x0a0000fe;
    expect<u32>(i.nextHop(0x7f000001)).toBe(NO_ROUTE);
    expect<u32>(i.nextHop(0x7f123456)).toBe(NO_ROUTE);
  });

  it("sourceFor picks the longest prefix whatever the order the addresses came in", () => {
    const wide: u32 = 0x0a010203; // 10.1.2.3/8
    const mid: u32 = 0x0a020304; // 10.2.3.4/16
    const narrow: u32 = 0x0a020405; // 10.2.4.5/24
    const a = new Interface();
    a.addAddress(wide, 8);
    a.addAddress(mid, 16);
    a.addAddress(narrow, 24);
    const b = new Interface();
    b.addAddress(narrow, 24);
    b.addAddress(mid, 16);
    b.addAddress(wide, 8);
    const dsts: u32[] = [0x0a020409, 0x0a020909, 0x0a090909];
    const want: u32[] = [narrow, mid, wide];
    for (let k = 0; k < 3; k++) {
      expect<u32>(a.sourceFor(dsts[k])).toBe(want[k]);
      expect<u32>(b.sourceFor(dsts[k])).toBe(want[k]);
    }
  });

  it("sourceFor: own address itself, the gateway's prefix, then the first address", () => {
    const i = iface();
    expect<u32>(i.sourceFor(0xc0a80105)).toBe(0xc0a80105);
    expect<u32>(i.sourceFor(0x08080808)).toBe(0x0a000001); // no gateway: the first address
    i.gateway = 0xc0a80001;
    expect<u32>(i.sourceFor(0x08080808)).toBe(0xc0a80105); // the address on the gateway's prefix
    const two = new Interface();
    two.addAddress(0x0a000001, 24);
    two.addAddress(0x0a000002, 24);
    expect<u32>(two.sourceFor(0x0a000009)).toBe(0x0a000001); // equal prefixes: the first one
    expect<u32>(new Interface().sourceFor(0x08080808)).toBe(0); // nothing to send from
  });
});
