/**
 * A CSI answer other than OK: the gRPC status code the spec prescribes and a message for the user (the sidecars put
 * it in PVC events, so it names the node, VG and sizes). Handlers throw these; the server turns any other error
 * into INTERNAL.
 */
import { status } from '@grpc/grpc-js';

export class CsiError extends Error {
  readonly code: status;

  constructor(code: status, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CsiError';
    this.code = code;
  }
}

const make = (code: status) => (message: string, cause?: unknown): CsiError => new CsiError(code, message, cause === undefined ? undefined : { cause });

export const invalidArgument = make(status.INVALID_ARGUMENT);
export const notFound = make(status.NOT_FOUND);
export const alreadyExists = make(status.ALREADY_EXISTS);
export const failedPrecondition = make(status.FAILED_PRECONDITION);
export const resourceExhausted = make(status.RESOURCE_EXHAUSTED);
export const aborted = make(status.ABORTED);
export const outOfRange = make(status.OUT_OF_RANGE);
export const internal = make(status.INTERNAL);
export const unavailable = make(status.UNAVAILABLE);
export const deadlineExceeded = make(status.DEADLINE_EXCEEDED);
export const unimplemented = make(status.UNIMPLEMENTED);

/** The gRPC code of any error a handler threw: its own for a CsiError, INTERNAL otherwise. */
export function codeOf(err: unknown): status {
  return err instanceof CsiError ? err.code : status.INTERNAL;
}

/** The status name (`NOT_FOUND`) of a code, for logs and metrics. */
export function codeName(code: status): string {
  return code in status ? status[code] : String(code);
}
