// A node (child process) with a msg client on a persistent MQTT session is killed with SIGKILL while a
// publisher streams QoS 1 messages, three times, and restarted on the same root each time. The broker
// keeps the session: what the node had not acknowledged is redelivered, what was published while it was
// down is queued. At the end every id is in the table exactly once: acknowledged rows were durable
// (journal), and redeliveries of rows that were durable but whose PUBACK was lost are skipped (journal
// marks by packet id, actors/msg-client/ingest.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { http, restUp, until } from '../../harness/test-node.js';
import { freePort, spawnNode, type ChildNode } from '../../harness/child-node.js';
import { MOSQUITTO_BIN, privateMosquitto, publish, publisher } from './support.js';

const skip = existsSync(MOSQUITTO_BIN) ? false : `${MOSQUITTO_BIN} is not installed`;
const N = 1500;
const KILLS = 3;

const up = (port: number): Promise<void> => restUp(port, { timeoutMs: 120_000 });

async function sql(port: number, q: string): Promise<Record<string, number>[]> {
  const r = await http(port, 'GET', { command: `sql kill format = json "${q}"`, 'User-Agent': 'AnyLog/1.23' });
  if (r.status !== 200) throw new Error(r.body);
  return (JSON.parse(r.body) as { Query: Record<string, number>[] }).Query;
}

test(
  `SIGKILL of the node mid-stream, ${KILLS} times: every message the broker took lands exactly once`,
  { skip, timeout: 300_000 },
  async (t) => {
    const mosq = await privateMosquitto();
    t.after(() => mosq.release());
    const root = mkdtempSync(join(tmpdir(), 'elrt-mqtt-kill-'));
    t.after(() => rmSync(root, { recursive: true, force: true }));
    const port = await freePort();
    const yaml = join(root, 'node.yaml');
    writeFileSync(
      yaml,
      [
        'node:',
        '  name: kill',
        `  root: ${root}`,
        '  log_level: warn',
        'dbms:',
        '  kill:',
        '    type: sqlite',
        'services:',
        '  rest_server:',
        '    internal_ip: 127.0.0.1',
        `    internal_port: ${port}`,
        '  streamer: {}',
        '  operator: {}',
        '  msg_client:',
        '    broker: 127.0.0.1',
        `    port: ${mosq.port}`,
        '    clean: false',
        '    client_id: elrt-kill-test',
        '    qos: 1',
        '    topic:',
        '      name: kill/readings',
        '      dbms: kill',
        '      table: readings',
        '      column.id.int: "bring [id]"',
        '      column.v.float: "bring [v]"',
        '',
      ].join('\n'),
    );
    let child: ChildNode | undefined;
    t.after(() => child?.proc.kill('SIGKILL'));

    // The session must exist on the broker before the first message: start the node once first.
    child = spawnNode(['start', yaml]);
    await up(port);
    await until(
      async () =>
        /Connection:\s+Connected\r\n/.test(
          (await http(port, 'GET', { command: 'get msg clients', 'User-Agent': 'AnyLog/1.23' })).body,
        ),
      30_000,
      50,
    );

    const pub = await publisher(mosq.port, { clientId: 'elrt-kill-pub', clean: false });
    t.after(() => pub.endAsync(true));
    let published = 0;
    const publishing = (async () => {
      for (let id = 0; id < N; id++) {
        await publish(pub, 'kill/readings', JSON.stringify({ id, v: id / 8 }), 1);
        published++;
        // Paced (about 150 messages a second) so the stream spans every kill and restart.
        if (id % 5 === 0) await new Promise((r) => setTimeout(r, 30));
      }
    })();

    for (let round = 0; round < KILLS; round++) {
      if (round > 0) {
        child = spawnNode(['start', yaml]);
        await up(port);
      }
      // Kill while rows are being received, acknowledged and written.
      await new Promise((r) => setTimeout(r, 200 + Math.random() * 600));
      child.proc.kill('SIGKILL');
      await child.exited;
      t.diagnostic(`round ${round}: killed after ${published} published`);
    }
    child = spawnNode(['start', yaml]);
    await up(port);
    await publishing;
    try {
      await until(
        async () => {
          try {
            return Number((await sql(port, 'select count(distinct id) as n from readings'))[0]?.['n'] ?? 0) === N;
          } catch (err) {
            if (/no such table/.test((err as Error).message)) return false;
            throw err;
          }
        },
        120_000,
        200,
      );
    } catch (err) {
      // Say what is missing and what the client saw, not only that time ran out.
      const ids = new Set((await sql(port, 'select id from readings')).map((r) => r['id']));
      const missing = Array.from({ length: N }, (_, i) => i).filter((i) => !ids.has(i));
      const shown = (await http(port, 'GET', { command: 'get msg clients', 'User-Agent': 'AnyLog/1.23' })).body;
      assert.fail(
        `${(err as Error).message}: ${missing.length} ids missing (first: ${missing.slice(0, 10).join(', ')}), ` +
          `${published} published\n${shown}\n${child.stderr().slice(-2000)}`,
      );
    }
    const dups = await sql(port, 'select id, count(*) as c from readings group by id having count(*) > 1');
    assert.deepEqual(dups, [], `no id is stored twice (${dups.length} are)`);
    assert.deepEqual((await sql(port, 'select count(*) as n, min(id) as lo, max(id) as hi from readings'))[0], {
      n: N,
      lo: 0,
      hi: N - 1,
    });
    const shown = (await http(port, 'GET', { command: 'get msg clients', 'User-Agent': 'AnyLog/1.23' })).body;
    t.diagnostic(`after the last restart: ${shown.match(/Duplicates skipped: \d+/)?.[0] ?? ''}`);
    const stopped = child.exited;
    child.proc.kill('SIGTERM');
    assert.equal(await stopped, 0, `the node stops cleanly on SIGTERM: ${child.stderr().slice(-2000)}`);
  },
);
