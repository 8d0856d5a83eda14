import { describe, expect, it } from 'vitest';
import { JOB_ID_RULE, jobIdProblem } from './job-id-rule.ts';
import { JobIdSchema } from './common.ts';

// A refused job id was told zod's first issue only ("expected a name without …" for "a/b@c ", not that it
// also ends in a space): a user fixed one thing and was refused again. Now every way the id breaks the rule
// is said, the value named, then the whole rule.
describe('jobIdProblem', () => {
  it('says every way an id breaks the rule, naming it, then the whole rule', () => {
    const said = jobIdProblem('a/b@c ');
    expect(said).toBe(
      `"a/b@c " is not a valid job id: it contains "/" and "@", it ends in a space; ${JOB_ID_RULE}`,
    );
    expect(jobIdProblem('.x\u0007.tmp')).toBe(
      `".x\\u0007.tmp" is not a valid job id: it contains a control character (U+0007), it starts with ".", it ends in ".tmp"; ${JOB_ID_RULE}`,
    );
    expect(jobIdProblem('')).toMatch(/^"" is not a valid job id: it is empty; a job id is 1 to 200 bytes/);
    const long = 'é'.repeat(101);
    expect(jobIdProblem(long)).toContain('it is 202 bytes long; a job id is 1 to 200 bytes of text (UTF-8)');
    // A long value is quoted only in part.
    expect(jobIdProblem(`${'x'.repeat(500)}/`)!.length).toBeLessThan(600);
  });

  it('says nothing of a valid id, and agrees with JobIdSchema on every id', () => {
    for (const id of ['Café del Mar 01', '日本語の歌', 'My Song (live)', 'yt_abc_audio', 'a.b'])
      expect(jobIdProblem(id)).toBeUndefined();
    for (const id of [
      'a/b',
      'a\\b',
      'a@b',
      ' a',
      'a ',
      '.a',
      'a.tmp',
      '',
      'x'.repeat(201),
      'a\nb',
      'a\u0085b',
    ])
      expect(jobIdProblem(id) === undefined, id).toBe(JobIdSchema.safeParse(id).success);
  });
});
