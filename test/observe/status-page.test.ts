// The status page in a real headless Chromium (Debian's /usr/bin/chromium driven by playwright-core; no
// browser download). `npm test` runs scripts/ensure-chromium.mjs first, which installs it when it can.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { REST_NODE, http, startTestNode, until } from '../../harness/test-node.js';
import { REPO, runCli } from '../../harness/cli.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const ARTIFACTS = join(REPO, 'test-artifacts');

const rows = (n: number): string =>
  JSON.stringify(
    Array.from({ length: n }, (_, i) => ({ timestamp: new Date(Date.UTC(2026, 0, 1) + i).toISOString(), v: i })),
  );

test(
  'the status page shows a service killed with `edgelake-rt kill` as restarting, then running again',
  {
    skip: existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`,
  },
  async (t) => {
    const { chromium } = await import('playwright-core');
    const n = await startTestNode(REST_NODE());
    t.after(() => n.stop());
    const put = await http(
      n.port,
      'PUT',
      { type: 'json', dbms: 'test', table: 'readings', mode: 'streaming' },
      rows(250),
    );
    assert.equal(put.status, 200);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    t.after(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`http://127.0.0.1:${n.port}/status?refresh=100`);

    const state = page.locator('td[data-service="operator"]');
    const restarts = page.locator('td[data-restarts="operator"]');
    await state.filter({ hasText: 'running' }).waitFor({ timeout: 10_000 });
    assert.equal(await restarts.textContent(), '0');
    assert.equal(await page.locator('#ready').textContent(), 'ready');
    // The rows ingested show up per table (workers report about once a second).
    await page.locator('#ingest td', { hasText: 'test.readings' }).waitFor({ timeout: 10_000 });
    await until(async () => (await page.locator('#ingest tbody tr td').nth(1).textContent()) === '250', 10_000, 50);

    // What an operator types: the CLI, on the node's control socket.
    const kill = await runCli(['kill', '--root', n.root, 'operator']);
    assert.equal(kill.code, 0, kill.stderr);
    // Seen on the page while the supervisor brings the worker back (the page polls every 100 ms)...
    // (A string: it runs in the page, where `document` is; this file is type-checked without the DOM lib.)
    await page.waitForFunction(
      `['restarting', 'starting'].includes(document.querySelector('td[data-service="operator"]')?.textContent)`,
      undefined,
      { timeout: 10_000, polling: 20 },
    );
    assert.equal(await page.locator('#ready').textContent(), 'not ready');
    // ...and then running again, with its restart counted and the page ready again.
    await state.filter({ hasText: 'running' }).waitFor({ timeout: 15_000 });
    await restarts.filter({ hasText: '1' }).waitFor({ timeout: 5_000 });
    await page.locator('#ready', { hasText: /^ready$/ }).waitFor({ timeout: 5_000 });
    // The kill was a crash to the supervisor: it is among the recent errors or warnings.
    assert.ok(((await page.locator('#errors tbody').textContent()) ?? '').length > 0);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'status-page.png'), fullPage: true });
    assert.deepEqual(pageErrors, []);
  },
);
