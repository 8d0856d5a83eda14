import { posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { windowsNameProblem } from '@imk/fs-safe';
import { numberedPath } from './conflicts.ts';
import { tempPathFor } from './util/remote-path.ts';
import {
  RouteSchema,
  compileTemplate,
  renderTemplate,
  routeMatches,
  type CompiledTemplate,
  type TemplateValues,
} from './routes.ts';

const roots = { audio: '/mnt/nas/Music', stems: '/mnt/nas/Stems' };

const values = (over: Partial<TemplateValues> = {}): TemplateValues => ({
  artist: 'Daft Punk',
  album: 'Discovery',
  title: 'One More Time',
  job_id: 'yt_abc_audio',
  ext: 'm4a',
  kind: 'audio',
  variant: 'instrumental',
  label: 'Instrumental',
  source_type: 'youtube',
  filename: 'Daft Punk - One More Time.m4a',
  basename: 'Daft Punk - One More Time',
  container: 'm4a',
  codec: 'aac',
  ...over,
});

function compiled(to: string): CompiledTemplate {
  const result = compileTemplate(to, roots);
  if (typeof result === 'string') throw new Error(result);
  return result;
}

describe('route templates', () => {
  it('fills remote roots and manifest fields', () => {
    const template = compiled('${remoteRoots.audio}/{artist}/{album}/{title} ({variant}).{ext}');
    expect(renderTemplate(template, values())).toBe(
      '/mnt/nas/Music/Daft Punk/Discovery/One More Time (instrumental).m4a',
    );
  });

  it('adds the file name when the template ends with /', () => {
    expect(renderTemplate(compiled('${remoteRoots.stems}/{job_id}/'), values())).toBe(
      '/mnt/nas/Stems/yt_abc_audio/Daft Punk - One More Time.m4a',
    );
  });

  // A job id is any text the user's disk takes (the earlier version's too): in a destination on an SMB share,
  // {job_id} is made a name the share takes, as every field is, so nas-sync never meets the worker's
  // OUTPUT_NAME_REFUSED (windowsNameProblem is that error's test of a name).
  it.each(['Live: at Wembley?', 'a<b>c|d"e*f', 'Song.', 'Song ', 'CON', 'nul.txt', 'COM1', 'AC\\DC', '   '])(
    '{job_id} %j becomes a folder name an SMB share takes',
    (jobId) => {
      const path = renderTemplate(compiled('${remoteRoots.stems}/{job_id}/'), values({ job_id: jobId }));
      const folder = path.split('/').at(-2)!;
      expect(path.startsWith('/mnt/nas/Stems/')).toBe(true);
      expect(windowsNameProblem(folder), folder).toBeUndefined();
    },
  );

  it('never leaves the remote root, whatever the manifest says', () => {
    const template = compiled('${remoteRoots.audio}/{artist}/{title}.{ext}');
    const hostile = values({ artist: '../../../etc', title: '../../root/.ssh/authorized_keys', ext: '/x' });
    const path = renderTemplate(template, hostile);
    expect(path.startsWith('/mnt/nas/Music/')).toBe(true);
    expect(path.split('/')).not.toContain('..');
    expect(renderTemplate(template, values({ artist: '..', title: '.' }))).toBe(
      '/mnt/nas/Music/unknown/unknown.m4a',
    );
    expect(renderTemplate(template, values({ artist: 'AC/DC' }))).toBe(
      '/mnt/nas/Music/AC_DC/One More Time.m4a',
    );
  });

  it('keeps a literal root too', () => {
    const template = compiled('/srv/music/{artist}/{title}.{ext}');
    expect(template.root).toBe('/srv/music');
    expect(renderTemplate(template, values({ artist: '../..' }))).toBe(
      '/srv/music/unknown/One More Time.m4a',
    );
  });

  it('rejects templates that could escape or do not make sense', () => {
    expect(compileTemplate('${remoteRoots.audio}/../{title}', roots)).toMatch(/\.\./);
    expect(compileTemplate('${remoteRoots.video}/{title}', roots)).toMatch(/remoteRoots has no "video"/);
    expect(compileTemplate('{artist}/${remoteRoots.audio}/{title}', roots)).toMatch(/may only start/);
    expect(compileTemplate('${remoteRoots.audio}/{artits}.{ext}', roots)).toMatch(/unknown field \{artits\}/);
    expect(compileTemplate('${remoteRoots.audio}/{title', roots)).toMatch(/unmatched/);
  });
});

describe('what "to" means (as in the earlier project)', () => {
  const file = values({ filename: 'Daft Punk - One More Time (no drum).m4a' });

  it('names a folder: the artifact keeps its own file name inside it, with or without a trailing /', () => {
    for (const to of ['${remoteRoots.audio}/NoDrums', '${remoteRoots.audio}/NoDrums/'])
      expect(renderTemplate(compiled(to), file)).toBe(
        '/mnt/nas/Music/NoDrums/Daft Punk - One More Time (no drum).m4a',
      );
    expect(renderTemplate(compiled('/srv/share/{artist}'), file)).toBe(
      '/srv/share/Daft Punk/Daft Punk - One More Time (no drum).m4a',
    );
  });

  it('takes a bare remote root as a folder', () => {
    expect(renderTemplate(compiled('${remoteRoots.stems}'), file)).toBe(
      '/mnt/nas/Stems/Daft Punk - One More Time (no drum).m4a',
    );
  });

  it('is a file name when the last part uses {filename}, .{ext} or a literal extension', () => {
    expect(renderTemplate(compiled('${remoteRoots.audio}/{title}.{ext}'), file)).toBe(
      '/mnt/nas/Music/One More Time.m4a',
    );
    expect(renderTemplate(compiled('${remoteRoots.audio}/{title}.m4a'), file)).toBe(
      '/mnt/nas/Music/One More Time.m4a',
    );
    expect(renderTemplate(compiled('${remoteRoots.audio}/x-{filename}'), file)).toBe(
      '/mnt/nas/Music/x-Daft Punk - One More Time (no drum).m4a',
    );
  });

  it('reads a dot in a folder name as part of the name: Vol.1, Mr. Big and 2.0 stay folders', () => {
    for (const folder of ['Vol.1', 'Mr. Big', 'Mr.Big', 'Greatest Hits 2.0', 'St.Vincent'])
      expect(renderTemplate(compiled(`\${remoteRoots.audio}/${folder}`), file)).toBe(
        `/mnt/nas/Music/${folder}/Daft Punk - One More Time (no drum).m4a`,
      );
    // A known extension makes a file name; a trailing / always means a folder.
    expect(renderTemplate(compiled('${remoteRoots.audio}/Instrumental.FLAC'), file)).toBe(
      '/mnt/nas/Music/Instrumental.FLAC',
    );
    expect(renderTemplate(compiled('${remoteRoots.audio}/Podcast.mp3/'), file)).toBe(
      '/mnt/nas/Music/Podcast.mp3/Daft Punk - One More Time (no drum).m4a',
    );
  });

  it('keeps every path part within 255 bytes, cutting the title on a character boundary and keeping the suffix', () => {
    const title = '夜'.repeat(99);
    const out = renderTemplate(compiled('${remoteRoots.audio}/{title} ({variant}).{ext}'), values({ title }));
    const name = out.split('/').pop() ?? '';
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255);
    expect(name.endsWith(' (instrumental).m4a')).toBe(true);
    expect(name.startsWith('夜夜夜')).toBe(true);
    expect(name).not.toContain('\uFFFD');
    const own = renderTemplate(
      compiled('${remoteRoots.audio}/{artist}'),
      values({ artist: '夜'.repeat(99), filename: `${'歌'.repeat(99)} (drums only).flac` }),
    );
    for (const part of own.split('/')) expect(Buffer.byteLength(part)).toBeLessThanOrEqual(255);
    expect(own.endsWith(' (drums only).flac')).toBe(true);
  });
});

// A title of flags or emoji sequences cut between code points showed as broken symbols on the NAS: 🇯🇵 halved
// is a lone regional indicator, 👨‍👩‍👧 became a man and a dangling joiner, 👍🏽 lost its tone.
describe('names cut to 255 bytes keep every character a reader sees whole', () => {
  const clusters = ['🇯🇵', '👨‍👩‍👧', '👍🏽', '🏳️‍🌈', 'ก่', 'e\u0301'];
  const graphemes = (text: string): string[] =>
    [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text)].map((s) => s.segment);
  const onlyWhole = (head: string, cluster: string): void => {
    expect(head.length).toBeGreaterThan(0);
    for (const part of graphemes(head)) expect(part).toBe(cluster);
  };

  it('in a filled route template, in its own file name, and in a renamed conflict copy', () => {
    for (const raw of clusters) {
      const cluster = raw.normalize('NFC');
      for (let pad = 0; pad < 4; pad++) {
        const title = `${'x'.repeat(pad)}${raw.repeat(80)}`;
        const path = renderTemplate(
          compiled('${remoteRoots.audio}/{title} ({variant}).{ext}'),
          values({ title }),
        );
        const name = path.split('/').pop() ?? '';
        expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255);
        expect(name.endsWith(' (instrumental).m4a')).toBe(true);
        onlyWhole(name.slice(pad, -' (instrumental).m4a'.length), cluster);

        const own = renderTemplate(
          compiled('${remoteRoots.audio}/'),
          values({ filename: `${'x'.repeat(pad)}${raw.repeat(80)} (drums only).flac` }),
        );
        const ownName = own.split('/').pop() ?? '';
        expect(Buffer.byteLength(ownName)).toBeLessThanOrEqual(255);
        onlyWhole(ownName.slice(pad, -' (drums only).flac'.length), cluster);

        const renamed = posix.basename(numberedPath(path, 12));
        expect(Buffer.byteLength(renamed)).toBeLessThanOrEqual(255);
        expect(renamed.endsWith(' (instrumental) (12).m4a')).toBe(true);
        onlyWhole(renamed.slice(pad, -' (instrumental) (12).m4a'.length), cluster);
      }
      // The temporary name beside it, on an eCryptfs share (143 bytes), for every offset of the cut.
      for (let pad = 0; pad < 24; pad++) {
        const temp = posix.basename(
          tempPathFor(`/nas/${'x'.repeat(pad)}${raw.repeat(60)}.m4a`, 'a'.repeat(64), 143),
        );
        expect(Buffer.byteLength(temp)).toBeLessThanOrEqual(143);
        onlyWhole(temp.slice(1 + pad, temp.lastIndexOf('~')), raw);
      }
    }
  });
});

describe('route matching and shapes', () => {
  it('reads the legacy {kind, variant, to} shape as a match', () => {
    const route = RouteSchema.parse({ kind: 'audio', variant: 'instrumental', to: '${remoteRoots.audio}/' });
    expect(route).toEqual({
      name: undefined,
      match: { kind: 'audio', variant: 'instrumental', source_type: undefined },
      to: '${remoteRoots.audio}/',
      backend: 'local',
      continue: false,
    });
  });

  it('reads skip: true as a route that sends nothing, and says what a route without "to" needs', () => {
    expect(RouteSchema.parse({ kind: 'audio', variant: 'no_drums', skip: true })).toMatchObject({
      match: { kind: 'audio', variant: 'no_drums' },
      skip: true,
      to: undefined,
    });
    const missing = RouteSchema.safeParse({ kind: 'audio' });
    expect(missing.error?.issues[0]).toMatchObject({ path: ['to'] });
    expect(missing.error?.issues[0]?.message).toContain('skip: true');
    // A skip route sends nothing: a destination, a backend or continue beside it is a contradiction.
    for (const extra of [{ to: '/x/' }, { backend: 'nas' }, { continue: true }, { refresh: ['jf'] }])
      expect(
        RouteSchema.safeParse({ kind: 'audio', skip: true, ...extra }).success,
        JSON.stringify(extra),
      ).toBe(false);
    expect(RouteSchema.parse({ kind: 'audio', to: '/x/', skip: false })).not.toHaveProperty('skip');
  });

  it('reads an empty match value (YAML `variant:`, null, "") as any, as the earlier project did', () => {
    for (const empty of [null, ''])
      for (const route of [
        { kind: 'stems', variant: empty, to: '/x/' },
        { match: { kind: 'stems', variant: empty }, to: '/x/' },
      ]) {
        const parsed = RouteSchema.parse(route);
        expect(parsed.match, JSON.stringify(route)).toEqual({
          kind: 'stems',
          variant: undefined,
          source_type: undefined,
        });
        expect(routeMatches(parsed.match, { kind: 'stems', variant: 'bass' })).toBe(true);
        expect(routeMatches(parsed.match, { kind: 'audio', variant: 'bass' })).toBe(false);
      }
  });

  it('fills ${remoteRoots.X} wherever it stands, as the earlier project did, and names an empty root', () => {
    const both = { ...roots, video: '/mnt/nas/Video', unset: '' };
    const middle = compileTemplate('/backup${remoteRoots.audio}/Instrumental', both);
    expect(middle).toEqual({ root: '/backup/mnt/nas/Music/Instrumental', relative: '{filename}' });
    expect(renderTemplate(middle as CompiledTemplate, values({ filename: 'A - B.m4a' }))).toBe(
      '/backup/mnt/nas/Music/Instrumental/A - B.m4a',
    );
    const second = compileTemplate('${remoteRoots.audio}/copy${remoteRoots.video}/{title}.{ext}', both);
    expect(second).toEqual({ root: '/mnt/nas/Music', relative: 'copy/mnt/nas/Video/{title}.{ext}' });
    // The earlier project's example config listed every root as "" until filled in.
    for (const to of ['${remoteRoots.unset}/YouTube', '/x/${remoteRoots.unset}/YouTube'])
      expect(compileTemplate(to, both), to).toMatch(/remoteRoots\.unset is empty \(not configured\)/);
    expect(compileTemplate('/x/${remoteRoots.nope}/', both)).toMatch(/remoteRoots has no "nope"/);
    expect(compileTemplate('/x/${remoteRoots.audio}/../y/', both)).toMatch(/must not contain "\.\."/);
  });

  it('refuses a route mixing both shapes', () => {
    expect(RouteSchema.safeParse({ match: { kind: 'audio' }, kind: 'audio', to: '/x/' }).success).toBe(false);
  });

  it('matches values, lists, * and patterns, and source_type', () => {
    const artifact = { kind: 'stems', variant: 'vocals', source_type: 'youtube' };
    expect(routeMatches({ kind: 'stems' }, artifact)).toBe(true);
    expect(routeMatches({ kind: 'audio' }, artifact)).toBe(false);
    expect(routeMatches({ variant: ['drums', 'vocals'] }, artifact)).toBe(true);
    expect(routeMatches({ variant: 'voc*' }, artifact)).toBe(true);
    expect(routeMatches({ variant: '*', source_type: 'deemix' }, artifact)).toBe(false);
  });
});
