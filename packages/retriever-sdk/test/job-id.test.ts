import { describe, expect, it } from 'vitest';
import { JobIdSchema } from '@imk/protocol';
import { jobIdPart, makeJobId, readableName } from '../src/index.ts';

// Job ids name folders a user reads (`outputs/<job_id>/`), so a title in any language should stay
// readable there, not turn into underscores.
describe('readable job ids from titles in any script', () => {
  it('drops accents and writes other letters in Latin', () => {
    expect(readableName('Ünïcode')).toBe('Unicode');
    expect(readableName('Björk - Jóga')).toBe('Bjork_-_Joga');
    expect(readableName('Sigur Rós')).toBe('Sigur_Ros');
    expect(readableName('Mø – Lean On')).toBe('Mo_-_Lean_On');
    expect(readableName('Straße')).toBe('Strasse');
    expect(readableName('Кино - Группа крови')).toBe('Kino_-_Gruppa_krovi');
    expect(readableName('Ελλάδα')).toBe('Ellada');
    expect(readableName('Beyoncé')).toBe('Beyonce');
  });

  it('keeps ids that need no change as they are, and gives every changed text a hash', () => {
    expect(makeJobId('yt', 'dQw4w9WgXcQ', 'audio')).toBe('yt_dQw4w9WgXcQ_audio');
    expect(makeJobId('local', 'Björk - Jóga')).toMatch(/^local_Bjork_-_Joga_[0-9a-f]{8}$/);
    // "Bjork" and "Björk" are two texts: they stay two ids.
    expect(jobIdPart('Bjork')).toBe('Bjork');
    expect(jobIdPart('Björk')).not.toBe('Bjork');
  });

  it('makes a valid, distinct id from text with no Latin spelling (CJK, emoji, only punctuation)', () => {
    const texts = ['東京事変', '米津玄師', '🎵🎶', '...', '', '　', 'ـ'];
    const ids = texts.map((t) => makeJobId('local', t));
    for (const id of ids) expect(JobIdSchema.safeParse(id).success, id).toBe(true);
    expect(new Set(ids).size).toBe(texts.length);
  });

  it('always gives a schema-valid id, whatever the text', () => {
    const samples = [
      'AC/DC - Back in Black',
      '../../etc/passwd',
      'a\u0000b',
      'x'.repeat(500),
      'Ünïcode'.repeat(40),
      'name.tmp',
      '-leading-dash',
      '.hidden',
    ];
    samples.push(...Array.from({ length: 4 }, () => 'Ünïcode Кино '.repeat(30)));
    for (const t of samples) {
      const id = makeJobId('local', t, t, t);
      expect(JobIdSchema.safeParse(id).success, `${t} -> ${id}`).toBe(true);
      expect(id).toMatch(/^[A-Za-z0-9._-]+$/);
    }
  });
});
