// The gRPC client actor's mailbox: `grpc.status` from the node; the others are its own lifecycle events
// (callbacks of the channel, the call and the retry timer send them to `self`, tagged with the
// generation of the call they belong to, so that a late event of a replaced call is ignored).
import { actorAddress, type Ask } from '../../runtime/address.js';

export type GrpcIn =
  | Ask<{ type: 'grpc.status' }, GrpcStatus>
  | { type: 'grpc.connect'; gen: number }
  | { type: 'grpc.ready'; gen: number }
  | { type: 'grpc.ended'; gen: number; ok: boolean; reason: string; timeout: boolean };

/** `grpc-client-<n>`: one actor per `run grpc client`. */
export const grpcClientAt = (id: string) => actorAddress<GrpcIn>(id);

export type GrpcState = 'Connecting' | 'Active' | 'Reconnecting' | 'Terminated (Success)' | 'Terminated (Error)';

/** One row of `get grpc clients` (EdgeLake grpc_client.py conn_list_attr_, then edgelake-rt's counters). */
export interface GrpcStatus {
  name: string;
  status: GrpcState;
  connection: string;
  proto: string;
  request: string;
  policyType: string;
  policyName: string;
  policyId: string;
  /** Messages received (EdgeLake `Data Msgs`). */
  dataMsgs: number;
  /** Connection attempts that timed out (`timeout` seconds). */
  timeouts: number;
  /** The last error: connection, stream, or a message that could not be decoded or mapped. */
  error: string;
  rows: number;
  /** Messages that could not be decoded or mapped. */
  badMsgs: number;
  reconnects: number;
}
