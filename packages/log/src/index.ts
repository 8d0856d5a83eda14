export { createLogger, REDACTED_KEYS } from './logger.ts';
export type { Logger, CreateLoggerOptions } from './logger.ts';
