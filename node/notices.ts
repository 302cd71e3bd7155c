// What the node's own commands tell services that live above it (node/ may not import actors/): the
// services' mailbox unions include these members, and the node addresses them by the part it knows.
import { actorAddress } from '../runtime/address.js';
import type { ConnectionConfig } from '../storage/dbms/types.js';
import type { AuthTable } from './auth/users.js';
import type { PartitionDecl } from '../storage/schema/partitions.js';
import { defineSetting } from './settings.js';

/** To every operator: `connect dbms` / `disconnect dbms` (a running operator opens or closes its own connection). */
export type DbmsNotice =
  | { type: 'operator.dbms'; name: string; config: ConnectionConfig }
  | { type: 'operator.dbms.disconnect'; name: string }
  /** `partition ...`: the node's declarations, whole (a running operator splits rows by them from now on). */
  | { type: 'operator.partitions'; list: PartitionDecl[] };

/** `partition <dbms> <table> using <column> by <interval>` declarations (EdgeLake's `partition_struct`). */
export const PARTITIONS = defineSetting<PartitionDecl[]>('node.partitions');

/** To the blockchain synchronizer: sync within 10 seconds (EdgeLake's forced sync after a policy change). */
export type SyncNow = { type: 'sync.now' };

export const dbmsNoticeTo = (operatorId: string) => actorAddress<DbmsNotice>(operatorId);
export const syncNowTo = (syncId: string) => actorAddress<SyncNow>(syncId);

/** To the REST server and the message broker: the user table changed (node/auth/store.ts is its only writer). */
export type AuthNotice = { type: 'auth.users'; table: AuthTable };

export const authNoticeTo = (actorId: string) => actorAddress<AuthNotice>(actorId);

/** The services that check users or peers: they read `AUTH_USERS` at start and get `auth.users` on every change. */
export const AUTH_CHECKERS = ['rest-server', 'message-broker', 'tcp-server'] as const;
