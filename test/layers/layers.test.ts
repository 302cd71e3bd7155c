// The layer rule (README, Design): each layer imports only layers below it.
//   base < protocols < storage;   base < runtime < peer < node < actors < main
// Inside actors/, a service's folder imports its own files and actors/_shared/ only; actors/_shared/ imports
// nothing of a service; the registry (actors/index.ts) is imported by main/ alone (and by tests).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importEdges, type ImportEdge } from './imports.js';

const LAYERS = ['base', 'protocols', 'storage', 'runtime', 'peer', 'node', 'actors', 'main'] as const;
type Layer = (typeof LAYERS)[number];

const MAY_IMPORT: Record<Layer, readonly string[]> = {
  base: [],
  protocols: ['base'],
  storage: ['base', 'protocols'],
  runtime: ['base'],
  peer: ['base', 'protocols', 'runtime'],
  node: ['base', 'protocols', 'storage', 'runtime', 'peer'],
  actors: ['base', 'protocols', 'storage', 'runtime', 'peer', 'node'],
  main: ['base', 'protocols', 'storage', 'runtime', 'peer', 'node', 'actors'],
};

const top = (path: string) => path.split('/')[0]!;

/** Why an edge breaks the rule, or undefined when it keeps it. */
export function violation(e: ImportEdge): string | undefined {
  const from = top(e.from);
  const to = top(e.to);
  if (from === 'test' || from === 'bench' || from === 'harness' || from === 'examples' || from === 'scripts') {
    if (to === 'test' && from !== 'test') return `${from}/ imports test/ (shared helpers belong in harness/)`;
    // test/bench/ tests the benchmarks' own library (the summary generator); nothing else leans on bench/.
    const benchTest = e.from.startsWith('test/bench/') && e.to.startsWith('bench/lib/');
    if (to === 'bench' && from !== 'bench' && !benchTest) return `${from}/ imports bench/`;
    return undefined;
  }
  if (!(LAYERS as readonly string[]).includes(from)) return `unknown top-level folder ${from}/`;
  const layer = from as Layer;
  if (e.to === 'actors/index.ts' && layer !== 'main' && e.from !== 'actors/index.ts') {
    return 'only main/ imports the service registry (actors/index.ts)';
  }
  if (to !== from) {
    return MAY_IMPORT[layer].includes(to) ? undefined : `${from}/ may not import ${to}/`;
  }
  if (layer === 'actors') {
    const [, own] = e.from.split('/');
    const [, target] = e.to.split('/');
    if (e.from === 'actors/index.ts')
      return /^actors\/[^/]+\/service\.ts$/.test(e.to) ? undefined : 'the registry imports service descriptors only';
    if (own === target || target === '_shared') return undefined;
    if (own === '_shared') return `actors/_shared/ may not import a service's folder (actors/${target}/)`;
    return `actors/${own}/ may not import its neighbour actors/${target}/ (move what both use to actors/_shared/)`;
  }
  return undefined;
}

test('every import points to its own layer or a layer below it', () => {
  const edges = importEdges([...LAYERS, 'test', 'bench', 'harness']);
  assert.ok(edges.length > 1000, `the import graph was read (${edges.length} edges)`);
  const bad = edges.flatMap((e) => {
    const why = violation(e);
    return why ? [`${e.from}:${e.line} -> ${e.to}: ${why}`] : [];
  });
  assert.deepEqual(bad, []);
});

test('the rule itself refuses the arrows it names', () => {
  const edge = (from: string, to: string): ImportEdge => ({ from, to, line: 1 });
  assert.match(violation(edge('protocols/tcp/header.ts', 'runtime/ring.ts'))!, /may not import runtime/);
  assert.match(violation(edge('runtime/host.ts', 'node/service.ts'))!, /may not import node/);
  assert.match(violation(edge('node/boot.ts', 'actors/index.ts'))!, /registry/);
  assert.match(violation(edge('actors/publisher/index.ts', 'actors/operator/files.ts'))!, /neighbour/);
  assert.match(violation(edge('actors/_shared/topic.ts', 'actors/msg-client/config.ts'))!, /_shared/);
  assert.match(violation(edge('bench/kafka.ts', 'test/brokers/support.ts'))!, /harness/);
  assert.equal(violation(edge('actors/operator/index.ts', 'actors/_shared/file-moves.ts')), undefined);
  assert.equal(violation(edge('main/boot.ts', 'actors/index.ts')), undefined);
  assert.equal(violation(edge('peer/sender.ts', 'protocols/tcp/builders.ts')), undefined);
});
