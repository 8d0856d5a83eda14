import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { ImkError } from '@imk/errors';
import type { Logger } from '@imk/log';
import { consumerPart } from '@imk/protocol';
import { isSafeId } from './names.ts';
import type { Rejection } from './rejected.ts';
import './errors.ts';

/** What claims, recovery and the queue share. */
export interface QueueContext {
  queueDir: string;
  consumerId: string;
  maxAttempts: number;
  logger: Logger | undefined;
  /**
   * A claim token unique to this consumer and this claim: `<consumerId>.<nonce>`, the consumer id shortened
   * when `job_<jobId>@<token>` would pass the 255-byte limit of a folder name.
   */
  newToken(jobId: string): string;
  /** Tells this consumer's index that a job now waits `delayMs` before its next attempt. */
  noteRetryDelay(jobId: string, key: string, delayMs: number): void;
  /** Called once this consumer has archived a bundle as rejected. */
  onReject: ((rejection: Rejection) => void | Promise<void>) | undefined;
}

const MAX_CONSUMER_ID = 64;

export function defaultConsumerId(): string {
  const host =
    hostname()
      .replace(/[^A-Za-z0-9._-]/g, '_')
      .replace(/^\.+/, '') || 'host';
  return `${host.slice(0, 40)}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

export function checkConsumerId(consumerId: string): string {
  if (!isSafeId(consumerId) || consumerId.length > MAX_CONSUMER_ID)
    throw new ImkError(
      'INVALID_CONSUMER_ID',
      `consumer id "${consumerId}" cannot go into a folder name; use up to ${MAX_CONSUMER_ID} letters, digits, ".", "_" or "-"`,
    );
  return consumerId;
}

export function tokenFactory(consumerId: string): (jobId: string) => string {
  let counter = 0;
  const prefix = randomBytes(2).toString('hex');
  // The nonce has no ".", so the consumer id is everything before the token's last ".".
  return (jobId) => {
    const nonce = `${prefix}${(counter++).toString(36)}${randomBytes(2).toString('hex')}`;
    // The consumer id in a token only names the holder (and its partial folders); the nonce keeps the token
    // unique, so the consumer id is the part shortened when the claim name would be too long.
    return `${consumerPart(jobId, consumerId)}.${nonce}`;
  };
}

/** The consumer id inside a claim token. */
export function consumerOfToken(token: string): string {
  const dot = token.lastIndexOf('.');
  return dot > 0 ? token.slice(0, dot) : token;
}
