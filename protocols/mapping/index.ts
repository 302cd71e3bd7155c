// The mapping library's public surface (grammar and semantics: README.md beside this file).
export { BringFailure, BringList, compileBring, renderText, stripBringWord } from './bring.js';
export type { BringFn, BringOptions, CompiledBring } from './bring.js';
export { compileName, compileTopic, nameOf } from './compile.js';
export type { CompileOptions, NameSource, TopicClause } from './compile.js';
export { normalizeName } from './names.js';
export type { NameOptions } from './names.js';
export { toMessages } from './payload.js';
export { compilePolicy } from './policy.js';
export { chainMappers, fail, isFailure, MAP_STATUS_TEXT, MapCode } from './result.js';
export type { MapCodeValue, MapFailure, MappedRow, Mapper, MapResult } from './result.js';
export { formatNow, toTimestamp } from './timestamp.js';
export { converterFor, ConversionFailure, unifyType } from './types.js';
export type { ColumnType, ValueKind } from './types.js';
