/** What a code means for whoever handles it: try again later or not, and the HTTP status to answer with. */
export interface ErrorPolicy {
  /** Whether another attempt can succeed (passing trouble) or not (the input, options or setup are wrong). */
  readonly retryable: boolean;
  /** The status an HTTP API answers with: 4xx the request is at fault, 5xx the server or the network. */
  readonly httpStatus: number;
  /**
   * For a permanent code a person can still fix so that `imk retry` of the same job succeeds: what to change
   * (a setting, the file in the failed bundle). Without it, a permanent input fault is not offered a retry
   * (retryAdviceOf).
   */
  readonly personFix?: string;
}

export interface RegisteredPolicy extends ErrorPolicy {
  /** The package whose catalogue named the code first. */
  readonly owner: string;
}

export type ErrorCatalogue<Code extends string = string, Policy extends ErrorPolicy = ErrorPolicy> = Readonly<
  Record<Code, Policy>
>;

// Every package's catalogue, by package (filled by defineErrors; read by catalogueOf). A code means one
// thing wherever it is thrown, so two packages that throw the same code must give it the same policy
// (checked when the second catalogue is defined).
export const CATALOGUES = new Map<string, ErrorCatalogue>();

// Every package's catalogue, by code (filled by defineErrors; read by ImkError.policy).
export const POLICY_REGISTRY = new Map<string, RegisteredPolicy>();

/** The policy of a code from the catalogues defined so far, or undefined for a code no catalogue names. */
export function policyOfCode(code: string): ErrorPolicy | undefined {
  const entry = POLICY_REGISTRY.get(code);
  return (
    entry && {
      retryable: entry.retryable,
      httpStatus: entry.httpStatus,
      ...(entry.personFix !== undefined && { personFix: entry.personFix }),
    }
  );
}

/** The usual policies, so a catalogue reads as a list of codes and what kind of trouble each is. */
export const POLICY = {
  /** The request or its options are wrong (a bad argument, an unknown name). */
  badRequest: { retryable: false, httpStatus: 400 },
  /** The request lacks what this client must send (a CSRF token). */
  forbidden: { retryable: false, httpStatus: 403 },
  notFound: { retryable: false, httpStatus: 404 },
  /** It was there and is no longer (a cache entry or an archived song cleaned up): asking again will not bring it back. */
  gone: { retryable: false, httpStatus: 410 },
  /** The thing is in a state that does not allow this (already exists, still running). */
  conflict: { retryable: false, httpStatus: 409 },
  /** The input itself cannot be used (unreadable media, a refused file, a private video). */
  unprocessable: { retryable: false, httpStatus: 422 },
  /** A failure another attempt will meet again, that the request did not cause. */
  internal: { retryable: false, httpStatus: 500 },
  /** Passing trouble on this machine (a crashed run, a changed file): worth another attempt. */
  transient: { retryable: true, httpStatus: 500 },
  /** The network or a remote end failed: worth another attempt. */
  upstream: { retryable: true, httpStatus: 502 },
  /** A tool, secret, model or setting is missing or wrong: a person must act first. */
  unavailable: { retryable: false, httpStatus: 503 },
} as const satisfies Record<string, ErrorPolicy>;
