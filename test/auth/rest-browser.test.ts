// What a web page can make a browser do to the REST server (actors/rest-server/browser.ts): requests a browser
// sends cross-site without a preflight never run a command or store data; CORS only for listed origins.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { REST_NODE, http, startTestNode } from '../../harness/test-node.js';

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0';

async function tableExists(cmd: (t: string) => Promise<string>, table: string): Promise<boolean> {
  try {
    await cmd(`sql test format = json "select count(*) from ${table}"`);
    return true;
  } catch (err) {
    if (/no such table/.test((err as Error).message)) return false;
    throw err;
  }
}

function path(port: number, method: string, url: string, headers: Record<string, string>, body?: string) {
  // http() always asks for '/': this one takes a path with a query, as a link or a form's action would.
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    import('node:http')
      .then(({ request }) => {
        const h: Record<string, string | number> = { ...headers };
        if (body !== undefined) h['content-length'] = Buffer.byteLength(body);
        const req = request({ host: '127.0.0.1', port, method, path: url, headers: h }, (res) => {
          let data = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (data += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
        });
        req.on('error', reject);
        req.end(body);
      })
      .catch(reject);
  });
}

test('a request a browser can send cross-site without a preflight runs no command and stores no rows', async (t) => {
  const n = await startTestNode(REST_NODE());
  t.after(() => n.stop());
  // A form post with the command in the URL (EdgeLake takes headers from the query string).
  const form = await path(
    n.port,
    'POST',
    '/?command=set%20node%20name%20evil',
    { 'User-Agent': BROWSER, 'Content-Type': 'application/x-www-form-urlencoded' },
    'a=b',
  );
  assert.equal(form.status, 403);
  assert.match(form.body, /must come in a 'command' header/);
  assert.equal(await n.cmd('get node name'), 'test-node');
  // A text/plain POST whose JSON body would carry the headers.
  const bodyHeaders = await path(
    n.port,
    'POST',
    '/',
    { 'User-Agent': BROWSER, 'Content-Type': 'text/plain' },
    '{"command": "get status"}',
  );
  assert.equal(bodyHeaders.status, 403);
  // A simple GET (an <img> tag) with the command in the URL.
  const img = await path(n.port, 'GET', '/?command=get%20status', { 'User-Agent': BROWSER, Accept: 'image/*' });
  assert.equal(img.status, 403);
  // Rows posted by a form to a URL naming dbms and table: nothing stored.
  const rows = await path(
    n.port,
    'POST',
    '/?dbms=test&table=csrf&type=json&mode=streaming',
    { 'User-Agent': BROWSER, 'Content-Type': 'text/plain' },
    '[{"timestamp":"2026-01-01T00:00:00Z","v":1}]',
  );
  assert.equal(rows.status, 403);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(await tableExists(n.cmd, 'csrf'), false);
  assert.match(await n.cmd('get rest server info'), /refused_browser\s*\|\s*4/);

  // The same URL from a tool (not a browser) still works, as in EdgeLake; a real `command` header always does.
  const tool = await path(n.port, 'GET', '/?command=get%20status', { 'User-Agent': 'curl/8.5.0' });
  assert.equal(tool.status, 200);
  const header = await http(n.port, 'GET', { command: 'get status', 'User-Agent': BROWSER });
  assert.equal(header.status, 200);
  assert.match(header.body, /running/);
  // A JSON body of headers sent as application/json needs a preflight: accepted.
  const json = await path(
    n.port,
    'POST',
    '/',
    { 'User-Agent': 'AnyLog/1.23', 'Content-Type': 'application/json' },
    '{"command": "get status"}',
  );
  assert.equal(json.status, 200, json.body);
});

test('replies carry nosniff and a Content-Type matching the body, and no wildcard CORS', async (t) => {
  const n = await startTestNode(REST_NODE());
  t.after(() => n.stop());
  const text = await http(n.port, 'GET', { command: 'get status', 'User-Agent': 'AnyLog/1.23' });
  assert.equal(text.headers['content-type'], 'text/plain; charset=utf-8');
  assert.equal(text.headers['x-content-type-options'], 'nosniff');
  assert.equal(text.headers['access-control-allow-origin'], undefined);
  const json = await http(n.port, 'GET', { command: 'get status where format = json', 'User-Agent': 'AnyLog/1.23' });
  assert.equal(json.headers['content-type'], 'application/json');
  JSON.parse(json.body);
  // A table that starts with '[' but is not JSON is text.
  const err = await http(n.port, 'GET', { command: 'no such command', 'User-Agent': 'AnyLog/1.23' });
  assert.equal(err.headers['content-type'], 'application/json');
  JSON.parse(err.body);
  // With curl, as an operator would check it (async: the node answers on this thread).
  let curl: string;
  try {
    curl = (
      await promisify(execFile)('curl', ['-s', '-i', '-H', 'command: get status', `http://127.0.0.1:${n.port}/`], {
        encoding: 'utf8',
        timeout: 10_000,
      })
    ).stdout;
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return t.skip('curl is not installed');
    throw e;
  }
  assert.match(curl, /^x-content-type-options: nosniff\r?$/im);
  assert.doesNotMatch(curl, /access-control-allow-origin/i);
});

test('only origins listed in cors get CORS headers and preflight answers; other origins run nothing', async (t) => {
  const n = await startTestNode('node:\n  name: cors-node\n');
  t.after(() => n.stop());
  await n.cmd(
    'run rest server where internal_ip = 127.0.0.1 and internal_port = 0 and cors = "https://cli.example, http://localhost:8000"',
  );
  const port = Number(n.running.node.connections.get('REST')!.internal.split(':').pop());
  const pre = await http(port, 'OPTIONS', {
    Origin: 'https://cli.example',
    'Access-Control-Request-Method': 'POST',
    'Access-Control-Request-Headers': 'command, user-agent',
  });
  assert.equal(pre.headers['access-control-allow-origin'], 'https://cli.example');
  assert.match(String(pre.headers['access-control-allow-methods']), /POST/);
  assert.equal(pre.headers['access-control-allow-headers'], 'command, user-agent');
  const ok = await http(port, 'GET', { Origin: 'https://cli.example', command: 'get status', 'User-Agent': BROWSER });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers['access-control-allow-origin'], 'https://cli.example');

  const evilPre = await http(port, 'OPTIONS', {
    Origin: 'https://evil.example',
    'Access-Control-Request-Method': 'POST',
    'Access-Control-Request-Headers': 'command',
  });
  assert.equal(evilPre.headers['access-control-allow-origin'], undefined);
  assert.equal(evilPre.headers['access-control-allow-methods'], undefined);
  const evil = await http(port, 'POST', { Origin: 'https://evil.example', command: 'set node name evil' });
  assert.equal(evil.status, 403);
  assert.match(evil.body, /origin 'https:\/\/evil.example' is not allowed/);
  const crossSite = await http(port, 'GET', { 'Sec-Fetch-Site': 'cross-site', command: 'get status' });
  assert.equal(crossSite.status, 403);
  assert.equal(await n.cmd('get node name'), 'cors-node');
  await assert.rejects(
    n.cmd('exit rest').then(() => n.cmd('run rest server where internal_port = 0 and cors = evil.example')),
    /not an origin/,
  );
});
