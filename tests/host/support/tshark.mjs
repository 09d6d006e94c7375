// tshark for the capture tests: runs it with checksum validation on and lists the frames a reader
// of the capture would flag (malformed, an expert error, a bad checksum). tshark is a Debian
// package (`apt-get install -y tshark`, installed by .ci/run).
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';

/** Runs tshark; resolves with stdout (rejects with stderr on a non-zero exit). */
export function tshark(args) {
  return new Promise((resolve, reject) => {
    // HOME in a temporary directory: no personal preferences or profiles change what tshark checks.
    execFile('tshark', args, { env: { ...process.env, HOME: tmpdir() }, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`tshark ${args.join(' ')}: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

export const tsharkInstalled = () => new Promise((resolve) => execFile('tshark', ['--version'], (error) => resolve(!error)));

/**
 * Checksum validation on. ICMP has no preference: Wireshark always verifies ICMP checksums (the
 * icmp.checksum.status assertions of the tests prove it did).
 */
export const CHECKSUMS_ON = ['-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE'];
/** Wireshark's checksum status values (`tshark -G values`): 0 Bad, 1 Good, 2 Unverified. */
export const GOOD = '1';
/**
 * The two forms of zero in one's complement arithmetic. A TCP checksum field of 0xffff where the
 * computed checksum is 0x0000 is the same value (RFC 1624 section 3): the receiver's sum over the
 * segment comes out right either way, and Linux's incremental checksum updates do send it (about
 * one segment in 65,536; caught twice in Linux's pure ACKs). Wireshark compares the field with its
 * own result and calls it bad; these checks count it as good.
 */
const NEGATIVE_ZERO = '0xffff';
const POSITIVE_ZERO = '0x0000';

/** PI_ERROR in Wireshark's expert severities (note 0x400000, warn 0x600000). */
export const EXPERT_ERROR = 0x00800000;

/** The transport tables whose heuristic dissectors guess at payloads (`tshark -G heuristic-decodes`). */
const GUESSING_TABLES = new Set(['tcp', 'udp']);
let disabledGuessers;

/**
 * Every TCP and UDP port decoded as plain data: a port-based dissector (IRC on 6660-6669, say)
 * takes a random payload to or from its port for its own and calls it malformed.
 */
const PAYLOAD_AS_DATA = ['-d', 'tcp.port==1-65535,data', '-d', 'udp.port==1-65535,data'];

/**
 * Arguments that turn off every protocol with a heuristic dissector over TCP or UDP (HTTP and
 * Thrift among them) and decode every port's payload as data. The tests carry random payloads,
 * and a protocol that takes one for its own (Thrift by guess, IRC by port) reports the rest of the
 * bytes as a malformed message: a finding about the guess, not about our frames. The payload is
 * then plain data, checked only as TCP or UDP.
 */
export function guessersOff() {
  disabledGuessers ??= tshark(['-G', 'heuristic-decodes']).then((out) => [...new Set(out.split('\n')
    .map((line) => line.split('\t'))
    .filter(([table, name]) => GUESSING_TABLES.has(table) && name)
    .map(([, name]) => name))]
    .flatMap((name) => ['--disable-protocol', name])
    .concat(PAYLOAD_AS_DATA));
  return disabledGuessers;
}

/** Frame numbers matching the malformed / expert error / bad checksum display filter. */
export async function flagged(path) {
  const filter = `_ws.malformed || _ws.expert.severity >= 0x${EXPERT_ERROR.toString(16).padStart(8, '0')} || ` +
    'ip.checksum.status == "Bad" || udp.checksum.status == "Bad" || icmp.checksum.status == "Bad" || ' +
    `(tcp.checksum.status == "Bad" && !(tcp.checksum == ${NEGATIVE_ZERO} && tcp.checksum_calculated == ${POSITIVE_ZERO}))`;
  const out = await tshark(['-r', path, ...CHECKSUMS_ON, ...await guessersOff(), '-Y', filter, '-T', 'fields', '-e', 'frame.number']);
  return out.trim() === '' ? [] : out.trim().split('\n').map(Number);
}

/**
 * One record per frame: protocols, checksum statuses (several when an ICMP error quotes a
 * packet), expert severities, ICMP type and code, UDP length, the malformed marker, TCP flags
 * (a number), payload length and window (scaled), IP source addresses.
 */
export async function frames(path) {
  const fields = ['frame.number', 'frame.protocols', 'ip.checksum.status', 'udp.checksum.status', 'icmp.checksum.status',
    '_ws.expert.severity', 'icmp.type', 'icmp.code', 'udp.length', '_ws.malformed', 'tcp.checksum.status', 'tcp.flags', 'tcp.len', 'ip.src', 'tcp.window_size', 'tcp.srcport', 'tcp.seq_raw', 'tcp.dstport', 'tcp.checksum', 'tcp.checksum_calculated'];
  const out = await tshark(['-r', path, ...CHECKSUMS_ON, ...await guessersOff(), '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', 'aggregator=,',
    ...fields.flatMap((f) => ['-e', f])]);
  return out.trim().split('\n').filter((line) => line !== '').map((line) => {
    const v = line.split('\t');
    const list = (s) => (s ? s.split(',') : []);
    return {
      number: Number(v[0]), protocols: v[1].split(':'), ip: list(v[2]), udp: list(v[3]), icmp: list(v[4]),
      severities: list(v[5]).map(Number), icmpType: list(v[6]).map(Number), icmpCode: list(v[7]).map(Number),
      udpLength: list(v[8]).map(Number), malformed: v[9] ?? '',
      tcp: list(v[10]), tcpFlags: list(v[11]).map(Number), tcpLength: list(v[12]).map(Number),
      ipSource: list(v[13]), tcpWindow: list(v[14]).map(Number),
      tcpSourcePort: list(v[15]).map(Number), tcpSeq: list(v[16]).map(Number), tcpDestinationPort: list(v[17]).map(Number),
      tcpChecksum: list(v[18]), tcpChecksumCalculated: list(v[19]),
    };
  });
}

/** Asserts (with `assert`) that no frame is malformed, has an expert error or a checksum not verified good. */
export function assertCleanFrames(assert, list) {
  const describe = (f) => `frame ${f.number} (${f.protocols.join(":")}) from ${f.ipSource.join(",")} port ${f.tcpSourcePort.join(",")} flags ${f.tcpFlags.join(",")} len ${f.tcpLength.join(",")}`;
  for (const f of list) {
    assert.ok(!f.protocols.includes('_ws.malformed') && f.malformed === '', `${describe(f)} is malformed`);
    assert.ok(f.severities.every((s) => s < EXPERT_ERROR), `${describe(f)} has an expert error: ${f.severities}`);
    // Every checksum in the frame, quoted packets included, was verified and is good.
    if (f.protocols.includes('ip')) assert.ok(f.ip.length > 0 && f.ip.every((s) => s === GOOD), `${describe(f)} IP checksum ${f.ip}`);
    if (f.protocols.includes('icmp')) assert.deepEqual(f.icmp, [GOOD], `${describe(f)} ICMP checksum`);
    if (f.protocols.includes('udp') && !f.protocols.includes('icmp')) assert.deepEqual(f.udp, [GOOD], `${describe(f)} UDP checksum`);
    if (f.protocols.includes('tcp') && !f.protocols.includes('icmp')) {
      const negativeZero = f.tcpChecksum[0] === NEGATIVE_ZERO && f.tcpChecksumCalculated[0] === POSITIVE_ZERO;
      if (!negativeZero) assert.deepEqual(f.tcp, [GOOD], `${describe(f)} TCP checksum ${f.tcpChecksum} (computed ${f.tcpChecksumCalculated})`);
    }
  }
}

/**
 * Closes a harness capture (`{ path, records, close() }`), reads it with tshark, asserts that tshark
 * reads every record and that none is malformed, has an expert error or a bad checksum, and
 * resolves with the frames.
 */
export async function readCleanCapture(assert, capture) {
  const records = capture.records;
  await capture.close();
  const list = await frames(capture.path);
  assert.equal(list.length, records, 'tshark reads every record');
  assertCleanFrames(assert, list);
  assert.deepEqual(await flagged(capture.path), [], 'frames matching the malformed / expert error / bad checksum filter');
  return list;
}
