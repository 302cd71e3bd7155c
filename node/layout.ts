// The node's data root, laid out like EdgeLake's (generic/params.py L150-190, utils_io.py
// L2756-2789: `create work directories`), plus edgelake-rt's own journal and control socket:
//   <root>/blockchain/            metadata (blockchain.json and siblings)
//   <root>/data/{prep,watch,bkup,error,archive,distr,dbms,pem,test,blobs,bwatch,tmp}
//   <root>/journal/               the durable ingest journal (LMDB)
//   <root>/state/                 actor state that must survive a restart (scheduler tasks...)
//   <root>/edgelake-rt.sock       the control socket (mode 0600)
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const DATA_DIRS = [
  'prep',
  'watch',
  'bkup',
  'error',
  'archive',
  'distr',
  'dbms',
  'pem',
  'test',
  'blobs',
  'bwatch',
  'tmp',
] as const;

/** Dictionary entries for the directories, with EdgeLake's key names. */
export function dirDictionary(root: string): Record<string, string> {
  const d = (x: string): string => join(root, 'data', x);
  return {
    edgelake_path: root,
    anylog_path: root,
    blockchain_dir: join(root, 'blockchain'),
    blockchain_file: join(root, 'blockchain', 'blockchain.json'),
    blockchain_new: join(root, 'blockchain', 'blockchain.new'),
    local_scripts: join(root, 'scripts'),
    prep_dir: d('prep'),
    watch_dir: d('watch'),
    bkup_dir: d('bkup'),
    err_dir: d('error'),
    error_dir: d('error'),
    dbms_dir: d('dbms'),
    archive_dir: d('archive'),
    distr_dir: d('distr'),
    pem_dir: d('pem'),
    test_dir: d('test'),
    blobs_dir: d('blobs'),
    bwatch_dir: d('bwatch'),
    tmp_dir: d('tmp'),
    id_dir: join(root, 'anylog'),
    journal_dir: join(root, 'journal'),
    state_dir: join(root, 'state'),
  };
}

export function createWorkDirectories(root: string): void {
  for (const x of DATA_DIRS) mkdirSync(join(root, 'data', x), { recursive: true, mode: 0o700 });
  for (const x of ['blockchain', 'anylog', 'journal', 'state'])
    mkdirSync(join(root, x), { recursive: true, mode: 0o700 });
}

export function socketPath(root: string): string {
  return join(root, 'edgelake-rt.sock');
}
