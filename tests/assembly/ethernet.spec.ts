import { EthernetFrame, EthernetRepr, EtherType, ETHERNET_HEADER_LEN } from "../../assembly/wire/ethernet";
import { WireError } from "../../assembly/wire/error";
import { hexBytes, hexLen, scratch, sameBytes } from "./helpers";

// An ARP request as Linux emits it (who-has 10.77.0.2 tell 10.77.0.1), assembled from the RFC 826 fields.
const ARP_FRAME = "ff ff ff ff ff ff 02 00 0a 4d 00 01 08 06 00 01 08 00 06 04 00 01 02 00 0a 4d 00 01 0a 4d 00 01 00 00 00 00 00 00 0a 4d 00 02";

describe("ethernet", () => {
  it("parses destination, source and EtherType", () => {
    const frame = new EthernetFrame();
    const repr = new EthernetRepr();
    expect<i32>(frame.check(hexBytes(ARP_FRAME), hexLen(ARP_FRAME))).toBe(WireError.Ok);
    expect<i32>(repr.parse(frame)).toBe(WireError.Ok);
    expect<u64>(repr.dst).toBe(0xffffffffffff);
    expect<u64>(repr.src).toBe(0x02000a4d0001);
    expect<u16>(repr.etherType).toBe(EtherType.ARP);
    expect<i32>(frame.payloadLen).toBe(28);
  });

  it("round-trips through emit", () => {
    const repr = new EthernetRepr();
    repr.dst = 0x112233445566; repr.src = 0xa1b2c3d4e5f6; repr.etherType = EtherType.IPV4;
    const buf = scratch(ETHERNET_HEADER_LEN);
    expect<i32>(repr.emit(buf, ETHERNET_HEADER_LEN)).toBe(ETHERNET_HEADER_LEN);
    expect<bool>(sameBytes(buf, hexBytes("11 22 33 44 55 66 a1 b2 c3 d4 e5 f6 08 00"), 14)).toBe(true);
    const frame = new EthernetFrame();
    const back = new EthernetRepr();
    expect<i32>(frame.check(buf, 14)).toBe(WireError.Ok);
    expect<i32>(back.parse(frame)).toBe(WireError.Ok);
    expect<u64>(back.dst).toBe(repr.dst);
    expect<u64>(back.src).toBe(repr.src);
    expect<u16>(back.etherType).toBe(repr.etherType);
  });

  it("rejects every truncation of the header", () => {
    const p = hexBytes(ARP_FRAME);
    const frame = new EthernetFrame();
    for (let len = 0; len < ETHERNET_HEADER_LEN; len++) {
      expect<i32>(frame.check(p, len)).toBe(WireError.Truncated);
    }
  });

  it("treats an 802.3 length field as unsupported", () => {
    const p = hexBytes("ff ff ff ff ff ff 02 00 00 00 00 01 00 2e");
    const frame = new EthernetFrame();
    const repr = new EthernetRepr();
    expect<i32>(frame.check(p, 14)).toBe(WireError.Ok);
    expect<i32>(repr.parse(frame)).toBe(WireError.Unsupported);
  });

  it("refuses to emit into a short buffer", () => {
    const repr = new EthernetRepr();
    expect<i32>(repr.emit(scratch(13), 13)).toBe(WireError.BufferTooSmall);
  });
});
