import { ImkError } from './imk-error.ts';
import { CATALOGUES, POLICY_REGISTRY, type ErrorCatalogue, type ErrorPolicy } from './policy-registry.ts';
// This module throws a code of @imk/errors' own catalogue, which defines itself with defineErrors below:
// the two import each other, so this module keeps no state of its own (the maps are in policy-registry.ts)
// and defineErrors works whichever of the two is evaluated first.
import './errors.ts';

export type { ErrorCatalogue } from './policy-registry.ts';

/**
 * Declares the codes a package throws and their policy, once, in the package's `src/errors.ts` (re-exported
 * by its index, so importing the package registers them). `ImkError.policy` then finds the policy by code.
 * Every module that makes one of these errors imports that file too (`import './errors.ts';`, or names
 * from it), so the policy is known however the module was reached (alone, in a test or a script);
 * packages/errors/test/catalogue-reach.test.ts fails naming the module that does not.
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
      ...((policy.personFix ?? known?.personFix) !== undefined && {
        personFix: policy.personFix ?? known?.personFix,
      }),
      owner: known?.owner ?? owner,
    });
  }
  CATALOGUES.set(owner, catalogue);
  return catalogue;
}

/** The catalogue a package defined (for tests and docs), or undefined. */
export function catalogueOf(owner: string): ErrorCatalogue | undefined {
  return CATALOGUES.get(owner);
}

function describe(policy: ErrorPolicy): string {
  return `${policy.retryable ? 'retryable' : 'permanent'}/${policy.httpStatus}`;
}
