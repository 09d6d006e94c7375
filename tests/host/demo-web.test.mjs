// The browser demo (demo/web/, `npm run demo:web`) driven in headless Chromium: Debian's chromium
// package through playwright-core. The page must load without a console error, run its
// HTTP-style exchange and its bulk transfer with the SHA-256 verified, log decoded frames, show
// the stats and download a pcap that starts with the pcap magic. The screenshot is kept as an
// artefact (build/artifacts/demo-web.png). With CI=true a missing browser fails the test; on a
// developer's machine it skips and says why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startDemoServer } from '../../demo/web/serve.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../build/artifacts/', import.meta.url));
const BULK_BYTES = String(8 * 1024 * 1024);
const PCAP_MAGIC_LE = [0xd4, 0xc3, 0xb2, 0xa1];
const RUN_TIMEOUT_MS = 120_000;

let chromium;
let missing;
try {
  ({ chromium } = await import('playwright-core'));
} catch (error) {
  missing = `playwright-core cannot be loaded (${error.code ?? error.message}); run npm ci`;
}
if (!missing && !existsSync(CHROMIUM)) missing = `no browser at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;
const inCi = process.env.CI === 'true';

test('the browser demo runs in headless Chromium: no console errors, transfer verified, pcap downloadable', {
  skip: !inCi && missing ? missing : false,
  timeout: RUN_TIMEOUT_MS * 2,
}, async (t) => {
  if (missing) assert.fail(`CI=true needs the browser test's tools: ${missing}`);
  const { server, url } = await startDemoServer({ port: 0 });
  t.after(() => server.close());
  // Root (CI) cannot use Chromium's user-namespace sandbox; the page is our own, on loopback.
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  t.after(() => browser.close());
  const page = await browser.newPage({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
  const problems = [];
  page.on('console', (message) => { if (message.type() === 'error') problems.push(`console: ${message.text()}`); });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));

  await page.goto(url);
  assert.equal(await page.title(), 'wasmnet: two TCP/IP stacks in one page');
  await page.selectOption('#size', BULK_BYTES);
  await page.click('#run');
  await page.waitForSelector('#result[data-state="done"], #result[data-state="failed"]', { timeout: RUN_TIMEOUT_MS });
  const result = await page.$eval('#result', (e) => ({ ...e.dataset, text: e.textContent }));
  assert.deepEqual(problems, []);
  assert.equal(result.state, 'done', result.text);
  assert.equal(result.verified, 'true', result.text);
  assert.match(result.sha256, /^[0-9a-f]{64}$/);
  assert.match(result.text, new RegExp(`SHA-256 verified: ${BULK_BYTES} bytes`));

  assert.match(await page.textContent('#http'), /HTTP\/1\.1 200 OK[\s\S]*hello from wasmnet/);
  const frames = await page.$$eval('#frames tbody tr', (rows) => rows.map((r) => Array.from(r.cells, (c) => c.textContent)));
  assert.ok(frames.length > 10, `${frames.length} frames listed`);
  assert.equal(frames[0][4], 'ARP');
  assert.ok(frames.some((f) => f[4] === 'TCP' && f[6].includes('[SYN]')), 'the handshake is in the log');
  const stats = await page.$$eval('#stats tbody tr', (rows) => Object.fromEntries(rows.map((r) => [r.cells[0].textContent, Number(r.cells[1].textContent)])));
  assert.ok(stats.tcpSegmentsReceived > 0, 'stack a\'s stats are shown');

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#pcap')]);
  const pcap = readFileSync(await download.path());
  assert.deepEqual([...pcap.subarray(0, 4)], PCAP_MAGIC_LE);
  assert.ok(pcap.length > 24 + frames.length * 16, `pcap of ${pcap.length} bytes`);

  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: `${ARTIFACTS}demo-web.png`, fullPage: true });
  assert.deepEqual(problems, [], 'nothing went wrong after the run either');
});
