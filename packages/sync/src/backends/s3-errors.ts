import type { ImkError } from '@imk/errors';
import { isNetworkErrno, syncError } from '../errors.ts';

interface AwsLikeError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const AUTH_NAMES = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  'AuthorizationHeaderMalformed',
  'CredentialsProviderError',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
]);

export function isNotFound(error: unknown): boolean {
  const err = error as AwsLikeError;
  return err.name === 'NotFound' || err.name === 'NoSuchKey' || err.$metadata?.httpStatusCode === 404;
}

/** Maps AWS SDK errors to sync errors: credentials, permissions and a missing bucket are final. */
export function classifyS3Error(error: unknown, where: string): ImkError {
  const err = error as AwsLikeError;
  const name = err.name ?? '';
  const status = err.$metadata?.httpStatusCode;
  const message = `${where}: ${name ? `${name}: ` : ''}${err.message ?? String(error)}`;
  if (AUTH_NAMES.has(name) || status === 401)
    return syncError('AUTH_FAILED', `${message} (check accessKeyId and secretAccessKey)`, { cause: error });
  if (name === 'AccessDenied' || status === 403)
    return syncError('PERMISSION_DENIED', `${message} (the credentials may not write to this bucket)`, {
      cause: error,
    });
  if (name === 'NoSuchBucket' || name === 'InvalidBucketName' || name === 'PermanentRedirect')
    return syncError('BACKEND_CONFIG_INVALID', `${message} (check bucket, region and endpoint)`, {
      cause: error,
    });
  if (name === 'AbortError') return syncError('ABORTED', message, { cause: error });
  if (
    isNetworkErrno(err.code) ||
    name === 'TimeoutError' ||
    name === 'RequestTimeout' ||
    /ECONNREFUSED|ECONNRESET|socket hang up|connect ETIMEDOUT|getaddrinfo/i.test(err.message ?? '')
  )
    return syncError('UNREACHABLE', message, { cause: error });
  return syncError('TRANSFER_FAILED', message, { cause: error });
}
