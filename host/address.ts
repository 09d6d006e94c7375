// IPv4 and MAC address text <-> numbers. Addresses cross into the core as u32 values
// (10.0.0.1 == 0x0a000001) and MACs as six bytes.

/** Parses dotted-quad IPv4; undefined when the text is not one (no shorthand forms, as Node's net.isIPv4). */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value >>> 0;
}

export function formatIpv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

export function isIpv4(text: string): boolean {
  return parseIpv4(text) !== undefined;
}

/** "10.0.0.1/24" -> address and prefix length (a bare address is /32). */
export function parseCidr(text: string): { address: number; prefixLength: number } | undefined {
  const [addressText, lengthText, extra] = text.split('/');
  if (extra !== undefined || addressText === undefined) return undefined;
  const address = parseIpv4(addressText);
  if (address === undefined) return undefined;
  if (lengthText === undefined) return { address, prefixLength: 32 };
  if (!/^[0-9]{1,2}$/.test(lengthText) || Number(lengthText) > 32) return undefined;
  return { address, prefixLength: Number(lengthText) };
}

/** "02:00:0a:00:00:01" (or with dashes) -> six bytes. */
export function parseMac(text: string): Uint8Array | undefined {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{2}$/.test(p))) return undefined;
  return Uint8Array.from(parts, (p) => parseInt(p, 16));
}

export function formatMac(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(':');
}
