export {
  ImkError,
  errorMessage,
  httpStatusOf,
  isImkError,
  isInputFault,
  isRetryableError,
  markSaidAs,
  retryableOf,
} from './imk-error.ts';
export type { ImkErrorOptions } from './imk-error.ts';
export { catalogueOf, defineErrors } from './catalogue.ts';
export type { ErrorCatalogue } from './catalogue.ts';
export { POLICY, policyOfCode } from './policy-registry.ts';
export type { ErrorPolicy } from './policy-registry.ts';
export { ERRORS_ERRORS } from './errors.ts';
export { errnoRetryable, isAbsentErrno, isNoSpace } from './errno.ts';
export { oneIssuePerField, withKeyReason } from './issues.ts';
export { refuseHopelessRetry, retryAdviceOf } from './retry-advice.ts';
export { stopCame } from './stop.ts';
export type { RetryAdvice } from './retry-advice.ts';
export type { FieldIssue } from './issues.ts';
export { andList, orList } from './words.ts';
