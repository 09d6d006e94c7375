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
