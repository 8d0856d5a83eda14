import { ImkError } from './imk-error.ts';
import { POLICY_REGISTRY, type ErrorPolicy } from './policy-registry.ts';

export type ErrorCatalogue<Code extends string = string, Policy extends ErrorPolicy = ErrorPolicy> = Readonly<
  Record<Code, Policy>
>;

// A code means one thing wherever it is thrown, so two packages that throw the same code must give it the
// same policy (checked when the second catalogue is defined).
const owners = new Map<string, ErrorCatalogue>();

/**
 * Declares the codes a package throws and their policy, once, in the package's `src/errors.ts` (re-exported
 * by its index, so importing the package registers them). `ImkError.policy` then finds the policy by code.
 * A package may give its codes more of a policy than retry and HTTP status (sync: whether a code means the
 * whole destination is down); that stays in the same catalogue, typed, so callers ask it by code too.
 */
export function defineErrors<Code extends string, Policy extends ErrorPolicy = ErrorPolicy>(
  owner: string,
  catalogue: Record<Code, Policy>,
): ErrorCatalogue<Code, Policy> {
  for (const [code, policy] of Object.entries<Policy>(catalogue)) {
    const known = POLICY_REGISTRY.get(code);
    if (known && (known.retryable !== policy.retryable || known.httpStatus !== policy.httpStatus))
      throw new ImkError(
        'ERROR_CATALOGUE_CONFLICT',
        `error code ${code} has two policies: ${known.owner} says ${describe(known)}, ${owner} says ${describe(policy)}; make them agree`,
      );
    POLICY_REGISTRY.set(code, {
      retryable: policy.retryable,
      httpStatus: policy.httpStatus,
      owner: known?.owner ?? owner,
    });
  }
  owners.set(owner, catalogue);
  return catalogue;
}

/** The catalogue a package defined (for tests and docs), or undefined. */
export function catalogueOf(owner: string): ErrorCatalogue | undefined {
  return owners.get(owner);
}

function describe(policy: ErrorPolicy): string {
  return `${policy.retryable ? 'retryable' : 'permanent'}/${policy.httpStatus}`;
}
