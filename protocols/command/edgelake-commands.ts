// The keys of EdgeLake's command table (member_cmd.py `commands`, L20883-22072): the words a command starts
// with. EdgeLake decides `x = <value>` by them (`process_cmd`): when the value starts with a key, the value is
// run as that command (and an unknown sub-command is an error that leaves `x` unset); otherwise it is text.
// `run <service>` keys are covered by the `run` entry (EdgeLake lists each; all start with `run`).
export const EDGELAKE_COMMAND_KEYS: readonly string[] = [
  'bucket',
  'video',
  'connect dbms',
  'id',
  'import function',
  'pi',
  'config from policy',
  'debug',
  'disconnect dbms',
  'info view',
  'info table',
  'sql',
  'create work directories',
  'create table',
  'create view',
  'create policy',
  'drop dbms',
  'drop table',
  'drop partition',
  'backup',
  'event',
  'time file',
  'from',
  'blockchain',
  'suggest create',
  'generate insert from json',
  'system',
  'subprocess',
  'delete archive',
  'if',
  'rest',
  'run',
  'flush buffers',
  'mqtt',
  'stream',
  'email',
  'sms',
  'file',
  'directory',
  'process',
  'thread',
  'wait',
  'partition',
  'task',
  'query',
  'job',
  'schedule',
  'print',
  'echo',
  'get',
  'reset',
  'set',
  'python',
  'monitor',
  'json',
  'random substr',
  'trace level',
  'trace method',
  'help',
  'exit',
  'stop',
  'streaming data',
  'continuous',
  'test',
];

const KEYS = EDGELAKE_COMMAND_KEYS.map((k) => k.split(' '));

/**
 * Do these words (lower case) start with one of EdgeLake's command keys? A value of one word is text (`x = test`,
 * `x = print`): EdgeLake's one-word keys (`get`, `test`, `file`...) all need more words to be a command.
 */
export function startsWithCommandKey(words: readonly string[]): boolean {
  if (words.length < 2) return false;
  return KEYS.some((k) => k.length <= words.length && k.every((w, i) => words[i] === w));
}
