export { ImkError, errorMessage, isImkError } from './imk-error.ts';
export type { ImkErrorOptions } from './imk-error.ts';
