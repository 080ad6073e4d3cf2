import { AppError } from '../core/index.ts';

export type GatewayErrorCode =
  | 'ERR_UPSTREAM_CLOSED'
  | 'ERR_UPSTREAM_TIMEOUT'
  | 'ERR_UPSTREAM_START'
  | 'ERR_UPSTREAM_PROTOCOL'
  | 'ERR_UPSTREAM_ERROR'
  | 'ERR_CANCELLED'
  | 'ERR_NAME_COLLISION'
  | 'ERR_LISTEN';

export class GatewayError extends AppError<GatewayErrorCode> {}

/** An error the upstream returned as a JSON-RPC error object; forwarded (after redaction) to the caller. */
export class UpstreamRpcError extends AppError<'ERR_UPSTREAM_ERROR'> {
  readonly rpc: { code: number; message: string; data?: unknown };
  constructor(server: string, rpc: { code: number; message: string; data?: unknown }) {
    super('ERR_UPSTREAM_ERROR', `upstream ${server} returned error ${rpc.code}`, {
      server,
      rpcCode: rpc.code,
    });
    this.rpc = rpc;
  }
}
