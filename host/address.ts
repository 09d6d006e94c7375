// IPv4 and MAC address text <-> numbers. Addresses cross into the core as u32 values
// (10.0.0.1 == 0x0a000001) and MACs as six bytes.

const CHAR_0 = 0x30;
const CHAR_9 = 0x39;
const CHAR_DOT = 0x2e;
const OCTETS = 4;
const OCTET_MAX = 255;
const OCTET_DIGITS_MAX = 3;

/**
 * Parses dotted-quad IPv4; undefined when the text is not one (no shorthand forms and no leading
 * zeros, as Node's net.isIPv4). Scans character codes: it runs per datagram sent and allocates
 * nothing.
 */
export function parseIpv4(text: string): number | undefined {
  let value = 0;
  let octets = 0;
  let octet = 0;
  let digits = 0;
  let leadingZero = false;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : CHAR_DOT;
    if (c === CHAR_DOT) {
      if (digits === 0 || octets === OCTETS) return undefined;
      value = value * 256 + octet;
      octets++;
      octet = 0;
      digits = 0;
      leadingZero = false;
      continue;
    }
    if (c < CHAR_0 || c > CHAR_9 || leadingZero || digits === OCTET_DIGITS_MAX) return undefined;
    if (digits === 0 && c === CHAR_0) leadingZero = true;
    octet = octet * 10 + (c - CHAR_0);
    if (octet > OCTET_MAX) return undefined;
    digits++;
  }
  return octets === OCTETS ? value >>> 0 : undefined;
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
