export { createLogger, REDACTED_KEYS } from './logger.ts';
export type { Logger, CreateLoggerOptions } from './logger.ts';
export { isSecretName, isSecretPath, REDACTED, redactText, redactValue } from './redact.ts';
