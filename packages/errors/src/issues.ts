/** What oneIssuePerField needs of a validation issue (zod's `$ZodIssue` has these). */
export interface FieldIssue {
  code: string;
  path: readonly PropertyKey[];
  maximum?: unknown;
  minimum?: unknown;
}

/**
 * One issue per field, the one home of that rule for every validated document (job.json, config files).
 * zod reports every check a value fails: `priority: 1e308` fails both `.int()` (whose bound is the largest
 * safe integer, 9007199254740991) and `.max(100)`. The user is told the tightest bound (the allowed range),
 * once; any other issue on the same field keeps only the first. Fields keep their order.
 */
export function oneIssuePerField<T extends FieldIssue>(issues: readonly T[]): T[] {
  const kept = new Map<string, T>();
  for (const issue of issues) {
    const key = JSON.stringify(issue.path.map(String));
    const earlier = kept.get(key);
    if (earlier === undefined || tighter(issue, earlier)) kept.set(key, issue);
  }
  return [...kept.values()];
}

/** Whether `issue` states a tighter bound than `than` (both too_big, or both too_small). */
function tighter(issue: FieldIssue, than: FieldIssue): boolean {
  if (issue.code === 'too_big' && than.code === 'too_big')
    return Number(issue.maximum) < Number(than.maximum);
  if (issue.code === 'too_small' && than.code === 'too_small')
    return Number(issue.minimum) > Number(than.minimum);
  return false;
}
