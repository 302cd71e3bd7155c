import { startTestNode, REST_NODE, http } from '/work/wt/query-pool/harness/test-node.js';
import { ControlClient } from '/work/wt/query-pool/runtime/control/client.js';
import { socketPath } from '/work/wt/query-pool/node/layout.js';
const ENDLESS = 'with recursive r(n) as (select 1 union all select n + 1 from r) select n from r where n = 1 or n < 0';
const n = await startTestNode(REST_NODE(undefined, undefined, 3));
await n.cmd('connect dbms lab where type = sqlite');
const ctl = await ControlClient.connect(socketPath(n.root));
let ended = false;
const t0 = performance.now();
const q = n.cmd(`sql lab timeout = 10 "${ENDLESS}"`).catch((e) => e.message).finally(() => (ended = true));
const c: number[] = [], r: number[] = [];
while (!ended) {
  let s = performance.now(); await ctl.request({ op: 'cmd', text: 'get status' }); c.push(performance.now() - s);
  s = performance.now(); await http(n.port, 'GET', { 'User-Agent': 'AnyLog/1.23', command: 'get status' }); r.push(performance.now() - s);
  await new Promise((res) => setTimeout(res, 50));
}
const msg = await q; const took = performance.now() - t0;
const st = (a: number[]) => { const s = [...a].sort((x, y) => x - y); return { n: s.length, p50: +s[Math.floor(s.length / 2)]!.toFixed(1), p99: +s[Math.floor(s.length * 0.99)]!.toFixed(1), max: +s[s.length - 1]!.toFixed(1) }; };
console.log(JSON.stringify({ queryEndedMs: Math.round(took), answer: msg, control: st(c), rest: st(r) }));
// timeout repeated
const tt: number[] = [];
for (let i = 0; i < 20; i++) { const s = performance.now(); await n.cmd(`sql lab timeout = 0.2 "${ENDLESS}"`).catch(() => undefined); tt.push(performance.now() - s); }
console.log(JSON.stringify({ timeout200ms: st(tt) }));
ctl.close(); await n.stop();
