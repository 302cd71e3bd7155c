// EdgeLake TCP peer protocol: the 2048-byte block format, its encoder, decoder and message builders.
// See README.md for the format and the spec citations.
export * from './header.js';
export * from './encoder.js';
export * from './decoder.js';
export * from './assembler.js';
export * from './builders.js';
export * from './resultset.js';
