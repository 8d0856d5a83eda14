import { pino, type Logger } from 'pino';
import { redactValue } from './redact.ts';

export type { Logger };

/**
 * Keys whose values never reach a log. Kept for callers that list them; the logger itself hides every
 * secret-named key (isSecretName) at any depth, and credentials inside URLs and messages (redactText).
 */
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

/**
 * Every argument of a log call passes through the redaction before pino sees it: objects lose their
 * secret-named values, strings (the message, an error text, a URL) their credentials.
 */
function redactArgs(args: unknown[]): unknown[] {
  return args.map((arg) => redactValue(arg));
}

/** The one root logger of a service; libraries get `logger.child({ component })` and never make their own. */
export function createLogger(service: string, options: CreateLoggerOptions = {}): Logger {
  const level = options.level ?? process.env.IMK_LOG_LEVEL ?? 'info';
  const logger = pino(
    {
      name: service,
      level,
      base: { service },
      hooks: {
        logMethod(args, method) {
          method.apply(this, redactArgs(args) as Parameters<typeof method>);
        },
      },
    },
    (options.destination as pino.DestinationStream | undefined) ?? pino.destination(2),
  );
  // A child's bindings (logger.child({ url })) are redacted when the child is made. Children are created
  // from their parent's prototype, so this one override serves every descendant.
  // Taken unbound on purpose: it is called with each parent as `this`.
  type ChildFn = (this: unknown, bindings: pino.Bindings, options?: object) => unknown;
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const child = logger.child as unknown as ChildFn;
  const redacting: ChildFn = function (this: unknown, bindings, childOptions) {
    return child.call(this, redactValue(bindings) as pino.Bindings, childOptions);
  };
  logger.child = redacting as unknown as Logger['child'];
  return logger;
}
