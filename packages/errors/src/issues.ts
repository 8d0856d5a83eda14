/** What oneIssuePerField needs of a validation issue (zod's `$ZodIssue` has these). */
export interface FieldIssue {
  code: string;
  path: readonly PropertyKey[];
  message?: string;
  maximum?: unknown;
  minimum?: unknown;
  origin?: unknown;
  /** An invalid record key's own issues (zod's `invalid_key`): why the key was refused. */
  issues?: readonly { message?: string }[];
}

/**
 * One issue per field, the one home of that rule for every validated document (job.json, manifests,
 * config files, per-song options). zod reports every check a value fails: `priority: 1e308` fails both
 * `.int()` (whose bound is the largest safe integer, 9007199254740991) and `.max(100)`. The user is told
 * the tightest bound, once; any other issue on the same field keeps only the first. Fields keep their
 * order.
 *
 * With the `schema` the issues came from, a value out of a field that has two bounds is told the whole
 * allowed range ("must be between 1 and 64"), not only the side it crossed (zod's "expected number to be
 * >=1"): a user who reads one side fixes the value once and may cross the other.
 */
export function oneIssuePerField<T extends FieldIssue>(issues: readonly T[], schema?: unknown): T[] {
  const kept = new Map<string, T>();
  for (const raw of issues) {
    const issue = withKeyReason(raw);
    const key = JSON.stringify(issue.path.map(String));
    const earlier = kept.get(key);
    if (earlier === undefined || tighter(issue, earlier)) kept.set(key, issue);
  }
  const one = [...kept.values()];
  if (schema === undefined) return one;
  return one.map((issue) => {
    const range = wholeRange(schema, issue) ?? unionChoices(schema, issue);
    return range === undefined ? issue : { ...issue, message: range };
  });
}

/**
 * A record key refused by its own schema (a recipe named `My_Mix`): zod says only "Invalid key in record",
 * at the key's path, neither that the name is the trouble nor why. Said with the key and its schema's own
 * message: 'the name "My_Mix" is refused: expected a name such as …'. Any other issue is returned as it is.
 */
export function withKeyReason<T extends FieldIssue>(issue: T): T {
  if (issue.code !== 'invalid_key') return issue;
  const key = issue.path.at(-1);
  const why = issue.issues?.find((i) => i.message !== undefined)?.message;
  if (key === undefined || why === undefined) return issue;
  return { ...issue, message: `the name ${JSON.stringify(String(key))} is refused: ${why}` };
}

/** Whether `issue` states a tighter bound than `than` (both too_big, or both too_small). */
function tighter(issue: FieldIssue, than: FieldIssue): boolean {
  if (issue.code === 'too_big' && than.code === 'too_big')
    return Number(issue.maximum) < Number(than.maximum);
  if (issue.code === 'too_small' && than.code === 'too_small')
    return Number(issue.minimum) > Number(than.minimum);
  return false;
}

// zod 4 keeps a schema's definition under `_zod.def`, its checks (`.min()`, `.max()`…) in `def.checks`.
// Read structurally, so this package needs no zod of its own; only the fields read here are declared.
interface SchemaDef {
  type?: string;
  innerType?: unknown;
  in?: unknown;
  out?: unknown;
  getter?: () => unknown;
  shape?: Record<string, unknown>;
  catchall?: unknown;
  element?: unknown;
  valueType?: unknown;
  options?: unknown[];
  /** A literal's values. */
  values?: unknown[];
  /** An enum's values, by name. */
  entries?: Record<string, unknown>;
  items?: unknown[];
  rest?: unknown;
  left?: unknown;
  right?: unknown;
  checks?: { _zod?: { def?: CheckDef } }[];
}
interface CheckDef {
  check?: string;
  value?: unknown;
  inclusive?: boolean;
  minimum?: unknown;
  maximum?: unknown;
  /** Set when the schema gave this check its own message (`.min(1, 'at least one stem')`). */
  error?: unknown;
}

const defOf = (schema: unknown): SchemaDef | undefined =>
  (schema as { _zod?: { def?: SchemaDef } } | undefined)?._zod?.def;

/** The schemas a value may meet at `schema` itself: wrappers, both sides of pipes, lazies and union options opened. */
function opened(schema: unknown, depth = 0): unknown[] {
  const def = defOf(schema);
  if (def === undefined || depth > 32) return [];
  const next = (inner: unknown): unknown[] => opened(inner, depth + 1);
  if (def.innerType !== undefined) return next(def.innerType);
  if (def.type === 'pipe') return [...next(def.in), ...next(def.out)];
  if (def.type === 'lazy' && def.getter) return next(def.getter());
  if (def.type === 'union') return (def.options ?? []).flatMap(next);
  if (def.type === 'intersection') return [...next(def.left), ...next(def.right)];
  return [schema];
}

/** The schemas at `path` inside `schema` (several where a union's options both have that field). */
function schemasAt(schema: unknown, path: readonly PropertyKey[]): unknown[] {
  let here = opened(schema);
  for (const key of path) {
    here = here.flatMap((s) => {
      const def = defOf(s)!;
      const child =
        def.type === 'object'
          ? (def.shape?.[String(key)] ?? def.catchall)
          : def.type === 'array'
            ? def.element
            : def.type === 'record' || def.type === 'map'
              ? def.valueType
              : def.type === 'tuple'
                ? (def.items?.[Number(key)] ?? def.rest)
                : undefined;
      return child === undefined ? [] : opened(child);
    });
  }
  return here;
}

interface Bound {
  value: number;
  inclusive: boolean;
  /** The schema says this bound in its own words: those are kept. */
  ownMessage: boolean;
}

/** The lower and upper bound a schema's checks put on a number or a length, each undefined when absent. */
function boundsOf(schema: unknown): { low?: Bound; high?: Bound } {
  const out: { low?: Bound; high?: Bound } = {};
  for (const check of defOf(schema)?.checks ?? []) {
    const def = check._zod?.def;
    if (def === undefined) continue;
    const inclusive = def.inclusive ?? true;
    const ownMessage = def.error !== undefined;
    if (def.check === 'greater_than' && typeof def.value === 'number')
      out.low = { value: def.value, inclusive, ownMessage };
    if (def.check === 'less_than' && typeof def.value === 'number')
      out.high = { value: def.value, inclusive, ownMessage };
    if ((def.check === 'min_length' || def.check === 'min_size') && typeof def.minimum === 'number')
      out.low = { value: def.minimum, inclusive: true, ownMessage };
    if ((def.check === 'max_length' || def.check === 'max_size') && typeof def.maximum === 'number')
      out.high = { value: def.maximum, inclusive: true, ownMessage };
  }
  return out;
}

/** "must be between 1 and 64" for an out-of-range issue on a field bounded both ways; else undefined. */
function wholeRange(schema: unknown, issue: FieldIssue): string | undefined {
  const crossed =
    issue.code === 'too_small' ? issue.minimum : issue.code === 'too_big' ? issue.maximum : undefined;
  if (typeof crossed !== 'number') return undefined;
  for (const candidate of schemasAt(schema, issue.path)) {
    const { low, high } = boundsOf(candidate);
    if (low === undefined || high === undefined || low.value >= high.value) continue;
    // The bound the issue names must be this schema's: a union's other option may bound the field otherwise.
    const bound = issue.code === 'too_small' ? low : high;
    if (bound.value !== crossed) continue;
    if (bound.ownMessage) return undefined;
    return rangeText(low, high, issue.origin);
  }
  return undefined;
}

function rangeText(low: Bound, high: Bound, origin: unknown): string {
  const unit =
    origin === 'string' ? ' characters long' : origin === 'array' || origin === 'set' ? ' items' : '';
  const lead = unit === ' items' ? 'must have' : 'must be';
  if (low.inclusive && high.inclusive) return `${lead} between ${low.value} and ${high.value}${unit}`;
  const from = low.inclusive ? `at least ${low.value}` : `more than ${low.value}`;
  const to = high.inclusive ? `at most ${high.value}` : `less than ${high.value}`;
  return `${lead} ${from} and ${to}${unit}`;
}

/**
 * What a value that meets none of a union's options must be, its choices listed: 'must be "default" or a
 * number between 0 and 0.99', 'must be 16, 24 or 32', 'must be true, false or a list of "vocals", "drums",
 * "bass", "other"' (zod says only "Invalid input"). Undefined for any other issue, for a union the schema
 * gave its own message, and for a union of other kinds (objects: their fields say more).
 */
function unionChoices(schema: unknown, issue: FieldIssue): string | undefined {
  if (issue.code !== 'invalid_union' || issue.message !== 'Invalid input') return undefined;
  const choices: string[] = [];
  for (const option of schemasAt(schema, issue.path)) {
    const said = choicesOf(option);
    if (said === undefined) return undefined;
    choices.push(...said);
  }
  if (choices.length < 2) return undefined;
  return `must be ${choices.slice(0, -1).join(', ')} or ${String(choices.at(-1))}`;
}

/** The values one option of a union takes, in words; undefined when it is not a plain choice. */
function choicesOf(option: unknown): string[] | undefined {
  const def = defOf(option);
  if (def?.type === 'literal' && Array.isArray(def.values)) return def.values.map((v) => JSON.stringify(v));
  if (def?.type === 'enum' && def.entries !== undefined)
    return Object.values(def.entries).map((v) => JSON.stringify(v));
  if (def?.type === 'boolean') return ['true', 'false'];
  if (def?.type === 'number') {
    const { low, high } = boundsOf(option);
    const bounded = low !== undefined && high !== undefined && low.value < high.value;
    return [bounded ? `a number ${rangeText(low, high, 'number').slice('must be '.length)}` : 'a number'];
  }
  if (def?.type === 'array') {
    const items = opened(def.element).map(choicesOf);
    if (items.length === 0 || items.some((item) => item === undefined)) return undefined;
    return [`a list of ${items.flat().join(', ')}`];
  }
  return undefined;
}
