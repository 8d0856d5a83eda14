export { ImkError, errorMessage, isImkError, retryableOf } from './imk-error.ts';
export type { ImkErrorOptions } from './imk-error.ts';
