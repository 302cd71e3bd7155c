// The folders that hold the node's TypeScript sources (the layers, bottom up), compiled into dist/.
// The tests' child nodes and the benches use it to tell whether dist/ is older than a source.
export const SOURCE_DIRS = ['base', 'protocols', 'storage', 'runtime', 'peer', 'node', 'actors', 'main'] as const;
