import { status } from '@grpc/grpc-js';
import { AuthError } from '@tagguard/auth';
import { StreamNotFoundError, WrongExpectedRevisionError } from '@tagguard/event-store';
import { toGrpcError } from './grpc-error';

describe('toGrpcError', () => {
  it.each([
    [new WrongExpectedRevisionError('tag-1', '3', 4n), status.ABORTED, 'EVENT_STORE.WRONG_EXPECTED_REVISION'],
    [new StreamNotFoundError('tag-1'), status.NOT_FOUND, 'EVENT_STORE.STREAM_NOT_FOUND'],
    [
      new AuthError('AUTH.UNAUTHENTICATED', 'token has expired', 'authorization'),
      status.UNAUTHENTICATED,
      'AUTH.UNAUTHENTICATED',
    ],
    [
      new AuthError('AUTH.INVALID_ARGUMENT', 'token claim "tid" (tenant) is required', 'authorization.tid'),
      status.INVALID_ARGUMENT,
      'AUTH.INVALID_ARGUMENT',
    ],
    [
      Object.assign(new Error('frozen'), { code: 'TAG.OPERATOR_FROZEN' }),
      status.PERMISSION_DENIED,
      'TAG.OPERATOR_FROZEN',
    ],
    [
      Object.assign(new Error('expired'), { code: 'TAG.RETENTION_EXPIRED' }),
      status.FAILED_PRECONDITION,
      'TAG.RETENTION_EXPIRED',
    ],
  ])('given %s, then the status is %s and the code travels as a trailer', (error, code, errorCode) => {
    const mapped = toGrpcError(error);
    expect(mapped.code).toBe(code);
    expect(mapped.metadata.get('tg-error-code')).toEqual([errorCode]);
  });

  it('names the field in the message and in the tg-field trailer', () => {
    const mapped = toGrpcError(
      new AuthError('AUTH.INVALID_ARGUMENT', 'token claim "tid" (tenant) is required', 'authorization.tid'),
    );
    expect(mapped.message).toBe('authorization.tid: token claim "tid" (tenant) is required');
    expect(mapped.metadata.get('tg-field')).toEqual(['authorization.tid']);
  });

  it('hides unexpected errors behind INTERNAL', () => {
    const mapped = toGrpcError(new TypeError('cannot read properties of undefined (reading "password")'));
    expect(mapped).toMatchObject({ code: status.INTERNAL, message: 'internal error' });
  });
});
