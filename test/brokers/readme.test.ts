import { test } from 'node:test';
import { checkReadmeSamples } from '../services/readme-samples.js';

test('the msg-client README sample parses as node.yaml and its commands check', () => checkReadmeSamples('msg-client'));
test('the message-broker README sample parses as node.yaml and its commands check', () =>
  checkReadmeSamples('message-broker'));
