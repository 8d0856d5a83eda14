import { pino, type Logger } from 'pino';

export type { Logger };

/** Keys whose values never reach a log, wherever they appear (ARL, S3 keys, SSH keys, tokens). */
export const REDACTED_KEYS = [
  'arl',
  'token',
  'password',
  'passphrase',
  'privateKey',
  'secretAccessKey',
  'accessKeyId',
  'authorization',
  'cookie',
];

export interface CreateLoggerOptions {
  /** @default process.env.IMK_LOG_LEVEL ?? 'info' */
  level?: string;
  /** Where JSON lines go. @default stderr, so that stdout stays for a command's own output */
  destination?: NodeJS.WritableStream;
}

/** The one root logger of a service; libraries get `logger.child({ component })` and never make their own. */
export function createLogger(service: string, options: CreateLoggerOptions = {}): Logger {
  const level = options.level ?? process.env.IMK_LOG_LEVEL ?? 'info';
  const paths = REDACTED_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);
  return pino(
    { name: service, level, base: { service }, redact: { paths, censor: '[redacted]' } },
    (options.destination as pino.DestinationStream | undefined) ?? pino.destination(2),
  );
}
