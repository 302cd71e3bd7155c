// The scheduler service on a real node whose actors run on a manual clock: tasks run when the clock
// reaches their times, `get scheduler` has EdgeLake's table shape, task operations, scheduler ids,
// TIME(PREVIOUS)/TIME(CURRENT), and tasks that survive a kill of the scheduler's worker.
// Advancing the clock is a message to the scheduler's worker; the `get scheduler` that follows is
// handled after it, so reading the table right after an advance is a sync point, not a race.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { localTime } from '../../actors/scheduler/tasks.js';
import { CommandError } from '../../base/errors.js';
import { MemorySink } from '../../base/log.js';
import { bootNode, type RunningNode } from '../../main/boot.js';
import { waitFor } from '../fixtures/supervision.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const COLUMNS = ['ID', 'Mode', 'Name', 'Counter', 'Run Status', 'Start-Time', 'Repeat-Time', 'Task'] as const;
type Row = Record<(typeof COLUMNS)[number], string>;

interface Ctx {
  running: RunningNode;
  cmd(text: string): Promise<string>;
  advance(ms: number): void;
  rows(id?: number): Promise<Row[]>;
  row(name: string, id?: number): Promise<Row | undefined>;
}

async function start(t: TestContext): Promise<Ctx> {
  const root = mkdtempSync(join(tmpdir(), 'elrt-sched-'));
  const running = await bootNode({
    root,
    logSink: new MemorySink(10_000).sink,
    output: () => undefined,
    actorClock: { kind: 'manual', start: T0 },
  });
  t.after(async () => {
    await running.stop('test over');
    rmSync(root, { recursive: true, force: true });
  });
  const cmd = (text: string): Promise<string> => running.node.command(text, { source: 'test' });
  const rows = async (id = 1): Promise<Row[]> => {
    const lines = (await cmd(`get scheduler ${id}`)).split('\r\n');
    const title = lines.findIndex((l) => l.startsWith('ID '));
    return lines
      .slice(title + 2)
      .filter((l) => l.includes('|'))
      .map((l) => {
        const cells = l.split('|').map((c) => c.trim());
        return Object.fromEntries(COLUMNS.map((c, i) => [c, cells[i]!])) as Row;
      });
  };
  return {
    running,
    cmd,
    advance: (ms) => running.node.supervisor.actor('scheduler')!.advanceClock(ms),
    rows,
    row: async (name, id = 1) => (await rows(id)).find((r) => r.Name === name),
  };
}

const isCode = (code: number, message: RegExp) => (err: unknown) =>
  err instanceof CommandError && err.code === code && message.test(err.message);

test('a task runs at its start and then every repeat, as the clock advances', async (t) => {
  const c = await start(t);
  await c.cmd('run scheduler 1');
  await c.cmd('schedule time = 1 minute and name = X task get status');
  assert.deepEqual(
    { ...(await c.row('X')), 'Start-Time': '' },
    {
      ID: '1',
      Mode: 'Paused',
      Name: 'X',
      Counter: '0',
      'Run Status': 'No runs',
      'Start-Time': '',
      'Repeat-Time': '0:1:0',
      Task: 'get status',
    },
  );
  c.advance(1);
  assert.equal((await c.row('X'))?.Counter, '1', 'due at once: it never ran');
  await waitFor(async () => (await c.row('X'))?.['Run Status'] === 'Success', 'the run status');
  assert.equal((await c.row('X'))?.Mode, 'Active');
  c.advance(59_998);
  assert.equal((await c.row('X'))?.Counter, '1', 'not before the repeat time');
  c.advance(1);
  assert.equal((await c.row('X'))?.Counter, '1', 'still 1 ms early');
  c.advance(1);
  assert.equal((await c.row('X'))?.Counter, '2', 'due one minute after the last run');
  c.advance(5 * 60_000);
  assert.equal((await c.row('X'))?.Counter, '3', 'a long pause runs a late task once, not once per missed minute');
});

test("get scheduler has EdgeLake's table shape", async (t) => {
  const c = await start(t);
  await c.cmd('run scheduler 1');
  await c.cmd('schedule time = 1 minute and name = "Status Check" task echo hello');
  const text = await c.cmd('get scheduler 1');
  const start0 = localTime(T0);
  assert.equal(
    text,
    [
      '',
      'Scheduler ID:     1',
      'Scheduler Status: Running',
      'Scheduled Tasks',
      `ID Mode   Name         Counter Run Status ${'Start-Time'.padEnd(26)} Repeat-Time Task       `,
      '--|------|------------|-------|----------|--------------------------|-----------|----------|',
      ` 1|Paused|Status Check|      0|No runs   |${start0}|0:1:0      |echo hello|`,
      '',
    ].join('\r\n'),
  );
  const all = await c.cmd('get scheduler');
  assert.ok(all.startsWith('\r\n\r\nScheduler ID:     0\r\nScheduler Status: Running'), 'all schedulers, from 0');
  assert.ok(all.includes('\r\nScheduler ID:     1\r\n'));
  assert.equal(await c.cmd('get scheduler 5'), 'Scheduler 5 not declared');
  const procs = JSON.parse(await c.cmd('get processes where format = json')) as Record<string, { Details?: string }>;
  assert.equal(procs['Scheduler']?.Details, 'Schedulers IDs in use: [0 (system)] [1 (user)]');
});

test('a duplicate task name is error 2, and so is a second unnamed task', async (t) => {
  const c = await start(t);
  await c.cmd('schedule time = 1 minute and name = X task echo a');
  await assert.rejects(
    c.cmd('schedule time = 2 minutes and name = X task echo b'),
    isCode(2, /Duplicate task name: 'X'/),
  );
  await c.cmd('schedule time = 1 minute task echo unnamed');
  await assert.rejects(c.cmd('schedule time = 1 minute task echo again'), isCode(2, /Duplicate task name: 'None'/));
  await c.cmd('schedule time = 1 minute and scheduler = 2 task echo other scheduler');
  const rows = await c.rows(1);
  assert.deepEqual(
    rows.map((r) => [r.ID, r.Name, r.Task]),
    [
      ['1', 'X', 'echo a'],
      ['2', '', 'echo unnamed'],
    ],
  );
  await assert.rejects(c.cmd('schedule time = 1 minute and name = Y'), isCode(2, /Missing 'task'/));
});

test('task stop, resume, remove, init and run change a task as EdgeLake does', async (t) => {
  const c = await start(t);
  await c.cmd('run scheduler 1');
  await c.cmd('schedule time = 1 minute and name = X task get status');
  await c.cmd('schedule time = 1 minute and name = Y task echo y');
  c.advance(1);
  assert.equal((await c.row('X'))?.Counter, '1');

  await c.cmd('task stop where name = X');
  assert.equal((await c.row('X'))?.Mode, 'Stopped');
  c.advance(120_000);
  assert.equal((await c.row('X'))?.Counter, '1', 'a stopped task does not run');
  assert.equal((await c.row('Y'))?.Counter, '2', 'the others do');

  await c.cmd('task resume where name = X');
  assert.equal((await c.row('X'))?.Mode, 'Paused');
  c.advance(1);
  assert.equal((await c.row('X'))?.Counter, '2', 'resumed and overdue: runs at the next wake');

  assert.equal(await c.cmd('task run where name = X'), 'edgelake-rt@127.0.0.1 running', 'run executes it now');
  assert.equal((await c.row('X'))?.Counter, '2', 'the counter does not change');

  await c.cmd('task init where scheduler = 1 and id = 1 and start = +1h');
  assert.equal((await c.row('X'))?.Mode, 'Paused');
  c.advance(59 * 60_000);
  assert.equal((await c.row('X'))?.Counter, '2', 'not before its new start');
  c.advance(60_000);
  assert.equal((await c.row('X'))?.Counter, '3');

  await c.cmd('task remove where name = Y');
  assert.equal(await c.row('Y'), undefined);
  await c.cmd('schedule time = 1 hour and name = Z task echo z');
  assert.equal((await c.row('Z'))?.ID, '2', "a removed task's slot is reused");
  assert.equal((await c.row('Z'))?.['Repeat-Time'], '1:0:0');

  await assert.rejects(c.cmd('task stop where name = X and id = 1'), isCode(2, /only one is needed/));
  await assert.rejects(c.cmd('task stop where scheduler = 1'), isCode(2, /Task Name or Task ID needs to be provided/));
  await assert.rejects(
    c.cmd('task stop where name = nosuch'),
    isCode(162, /Task 'nosuch' in scheduler '1' is not valid/),
  );
  await assert.rejects(c.cmd('task init where name = X'), isCode(2, /Missing start date/));
});

test('scheduler ids: above 10 is error 2, an active one is error 136, exit scheduler <id> stops one', async (t) => {
  const c = await start(t);
  await assert.rejects(c.cmd('run scheduler 11'), isCode(2, /^Scheduler ID is above limit$/));
  await c.cmd('run scheduler 1');
  await assert.rejects(c.cmd('run scheduler 1'), isCode(136, /Process already active/));
  await c.cmd('run scheduler 3');
  await c.cmd('schedule time = 1 minute and name = X task echo x');
  await c.cmd('exit scheduler 1');
  assert.match(await c.cmd('get scheduler 1'), /Scheduler Status: Not Running/);
  c.advance(1);
  assert.equal((await c.row('X'))?.Counter, '0', 'tasks of a stopped scheduler do not run');
  const procs = JSON.parse(await c.cmd('get processes where format = json')) as Record<string, { Details?: string }>;
  assert.equal(procs['Scheduler']?.Details, 'Schedulers IDs in use: [0 (system)] [3]');
  await c.cmd('run scheduler 1');
  c.advance(1);
  assert.equal((await c.row('X'))?.Counter, '1', 'it can be restarted');
});

test('exit scheduler without an id stops every scheduler and keeps their tasks, as EdgeLake', async (t) => {
  const c = await start(t);
  await c.cmd('schedule time = 1 minute and name = X task echo x');
  await c.cmd('exit scheduler');
  const procs = JSON.parse(await c.cmd('get processes where format = json')) as Record<string, { Status: string }>;
  assert.equal(procs['Scheduler']?.Status, 'Not declared', 'no scheduler id runs (task_scheduler.py is_running)');
  assert.match(await c.cmd('get scheduler 1'), /Scheduler Status: Not Running/);
  c.advance(1);
  assert.equal((await c.row('X'))?.Counter, '0', 'tasks of a stopped scheduler do not run');
  await c.cmd('run scheduler 1');
  c.advance(1);
  assert.equal((await c.row('X'))?.Counter, '1', 'the task was kept and runs again');
});

test('TIME(PREVIOUS) and TIME(CURRENT) are replaced by the last and the current run time', async (t) => {
  const c = await start(t);
  await c.cmd('run scheduler 1');
  await c.cmd('schedule time = 1 minute and name = T task tp = TIME(PREVIOUS) + "|" + TIME(CURRENT)');
  const dict = c.running.node.dict;
  c.advance(1);
  const first = `${localTime(T0 + 1 - 10_000)}|${localTime(T0 + 1)}`;
  await waitFor(() => dict.get('tp') === first, `tp = ${first} (got ${dict.get('tp')})`);
  c.advance(60_000);
  const second = `${localTime(T0 + 1)}|${localTime(T0 + 60_001)}`;
  await waitFor(() => dict.get('tp') === second, `tp = ${second} (got ${dict.get('tp')})`);
});

test("tasks survive a kill of the scheduler's worker", async (t) => {
  const c = await start(t);
  await c.cmd('run scheduler 1');
  await c.cmd('schedule time = 1 minute and name = X task echo x');
  c.advance(1);
  await waitFor(async () => (await c.row('X'))?.['Run Status'] === 'Success', 'the first run');
  const before = c.running.node.supervisor.actor('scheduler')!.threadId;
  assert.equal(c.running.node.kill('scheduler'), true);
  await waitFor(() => {
    const i = c.running.node.supervisor.info().find((x) => x.id === 'scheduler');
    return (
      i?.status === 'running' && i.restarts === 1 && c.running.node.supervisor.actor('scheduler')?.status === 'running'
    );
  }, 'the restarted scheduler');
  assert.notEqual(c.running.node.supervisor.actor('scheduler')!.threadId, before);
  const x = await c.row('X');
  assert.equal(x?.Counter, '1');
  assert.equal(x?.Mode, 'Active');
  assert.match(await c.cmd('get scheduler 1'), /Scheduler Status: Running/);
  const procs = JSON.parse(await c.cmd('get processes where format = json')) as Record<string, { Restarts?: number }>;
  assert.equal(procs['Scheduler']?.Restarts, 1);
});
