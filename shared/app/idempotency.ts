/** The `Idempotency-Key` header's check, shared by every use case that accepts one. */
import { UseCaseError } from './errors';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** An `Idempotency-Key` header (a ticket id, a client's request id) must be printable ASCII. */
export function assertIdempotencyKey(key: string | undefined): void {
  if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
    throw new UseCaseError(
      'bad-request',
      'Invalid Idempotency-Key',
      'the Idempotency-Key header is malformed',
      [{ path: 'Idempotency-Key', message: 'use 1 to 255 printable ASCII characters without spaces' }],
    );
  }
}
