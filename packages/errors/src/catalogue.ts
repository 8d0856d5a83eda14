import { ImkError } from './imk-error.ts';
import { POLICY_REGISTRY, type ErrorPolicy } from './policy-registry.ts';

export type ErrorCatalogue<Code extends string = string> = Readonly<Record<Code, ErrorPolicy>>;

// A code means one thing wherever it is thrown, so two packages that throw the same code must give it the
// same policy (checked when the second catalogue is defined).
const owners = new Map<string, ErrorCatalogue>();

/**
 * Declares the codes a package throws and their policy, once, in the package's `src/errors.ts` (re-exported
 * by its index, so importing the package registers them). `ImkError.policy` then finds the policy by code.
 */
export function defineErrors<Code extends string>(
  owner: string,
  catalogue: Record<Code, ErrorPolicy>,
): ErrorCatalogue<Code> {
  for (const [code, policy] of Object.entries<ErrorPolicy>(catalogue)) {
    const known = POLICY_REGISTRY.get(code);
    if (known && (known.retryable !== policy.retryable || known.httpStatus !== policy.httpStatus))
      throw new ImkError(
        'ERROR_CATALOGUE_CONFLICT',
        `error code ${code} has two policies: ${known.owner} says ${describe(known)}, ${owner} says ${describe(policy)}; make them agree`,
      );
    POLICY_REGISTRY.set(code, { ...policy, owner: known?.owner ?? owner });
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
