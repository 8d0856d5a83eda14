import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { linkJobId } from './expected-ids.ts';
import { readJob, runUntilHandled, youtubeTestKit } from './youtube-kit.ts';

// Request files (requests/youtube/*.txt) read by the running retriever, with the real yt-dlp against a
// loopback server: as people write them, and what their .done / .fail files say.
const media = youtubeTestKit();

describe('request files with the real yt-dlp', () => {
  it('handles .txt request files: .done with the job ids, .fail with the reason beside it', async () => {
    const { root } = await media.setup();
    const requests = join(root, 'requests', 'youtube');
    await mkdir(requests, { recursive: true });
    await writeFile(
      join(requests, 'song.txt'),
      `# from my phone\nmode: both\n${media.server.url('video.mp4')}\n`,
    );
    await writeFile(join(requests, 'gone.txt'), `${media.server.url('gone.m4a')}\n`);
    await writeFile(join(requests, 'weird.txt'), 'ftp://example.com/song.mp3\n');
    const wanted = ['gone.fail', 'gone.fail.reason', 'song.done', 'weird.fail', 'weird.fail.reason'];
    await runUntilHandled(root, (names) => JSON.stringify(names.sort()) === JSON.stringify(wanted));
    const done = await readFile(join(requests, 'song.done'), 'utf8');
    expect(done).toContain(media.server.url('video.mp4'));
    const jobId = (kind: string) => linkJobId('generic', 'video', media.server.url('video.mp4'), kind);
    expect(done).toContain(`# job ${jobId('audio')} -> youtube_audio`);
    expect(done).toContain(`# job ${jobId('video')} -> youtube_video`);
    expect(await readFile(join(requests, 'gone.fail.reason'), 'utf8')).toMatch(/HTTP 404.*\[NOT_FOUND\]/);
    expect(await readFile(join(requests, 'weird.fail.reason'), 'utf8')).toMatch(
      /only http\(s\) links.*\[INVALID_URL\]/,
    );
    expect(await readdir(join(root, 'queues', 'youtube_video'))).toEqual([`job_${jobId('video')}`]);
  });

  it('reads request files as people write them: BOM, CRLF, # notes after a link, several links on a line, one link twice', async () => {
    const { root } = await media.setup();
    const requests = join(root, 'requests', 'youtube');
    await mkdir(requests, { recursive: true });
    const [one, two, three] = [
      media.server.url('audio.m4a'),
      media.server.url('two.m4a'),
      media.server.url('song.m4a'),
    ];
    await writeFile(
      join(requests, 'from my phone ☎.txt'),
      `\uFEFF# saved on the phone\r\nmode: audio   # only the sound\r\n${one}   # my favourite\r\n\r\n${two} ${three}\r\n${one}\r\n`,
    );
    await runUntilHandled(root, (names) => names.some((name) => /\.(done|fail)$/.test(name)));
    expect(await readdir(requests)).toEqual(['from my phone ☎.done']);
    const done = await readFile(join(requests, 'from my phone ☎.done'), 'utf8');
    const ids = [
      linkJobId('generic', 'audio', one, 'audio'),
      linkJobId('generic', 'two', two, 'audio'),
      linkJobId('generic', 'song', three, 'audio'),
    ];
    for (const id of ids) expect(done).toContain(`# job ${id} -> youtube_audio`);
    // The link given twice is fetched once, and said so: not "already fetched" by a second run.
    expect(done).toContain(`# skipped ${one}: listed more than once in from my phone ☎.txt; fetched once`);
    expect(done).not.toContain('already fetched');
    expect((await readdir(join(root, 'queues', 'youtube_audio'))).sort()).toEqual(
      ids.map((id) => `job_${id}`).sort(),
    );
  });

  it('reads a request file written as UTF-16 (Windows PowerShell, Notepad "Unicode") and adds its notes in UTF-16', async () => {
    const { root } = await media.setup();
    const requests = join(root, 'requests', 'youtube');
    await mkdir(requests, { recursive: true });
    const utf16 = (text: string, bigEndian: boolean) => {
      const bytes = Buffer.concat([Buffer.from('\uFEFF', 'utf16le'), Buffer.from(text, 'utf16le')]);
      return bigEndian ? bytes.swap16() : bytes;
    };
    // What `echo <link> > ps.txt` writes in Windows PowerShell 5: UTF-16 LE with its mark, CRLF.
    await writeFile(join(requests, 'ps.txt'), utf16(`${media.server.url('two.m4a')}\r\n`, false));
    await writeFile(join(requests, 'be.txt'), utf16(`${media.server.url('song.m4a')}\n`, true));
    await runUntilHandled(root, (names) => names.filter((name) => /\.(done|fail)$/.test(name)).length >= 2);
    expect((await readdir(requests)).sort()).toEqual(['be.done', 'ps.done']);
    const le = (await readFile(join(requests, 'ps.done'))).toString('utf16le');
    expect(le).toContain(
      `# job ${linkJobId('generic', 'two', media.server.url('two.m4a'), 'audio')} -> youtube_audio`,
    );
    const be = Buffer.from(await readFile(join(requests, 'be.done')))
      .swap16()
      .toString('utf16le');
    expect(be).toContain(
      `# job ${linkJobId('generic', 'song', media.server.url('song.m4a'), 'audio')} -> youtube_audio`,
    );
  });

  it('says why a huge line failed: the reason quotes its start, its length and the code, never the whole line', async () => {
    const { root } = await media.setup();
    const requests = join(root, 'requests', 'youtube');
    await mkdir(requests, { recursive: true });
    const hugeLink = `${media.server.url('audio.m4a')}?x=${'a'.repeat(300_000)}`;
    const junk = 'z'.repeat(500_000);
    await writeFile(join(requests, 'pasted.txt'), `${hugeLink}\n${junk}\n${media.server.url('two.m4a')}\n`);
    await runUntilHandled(root, (names) => names.includes('pasted.fail.reason'));
    const reason = await readFile(join(requests, 'pasted.fail.reason'), 'utf8');
    const lines = reason.split('\n');
    expect(lines[0]).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/audio\.m4a\?x=a+… \(\d+ more characters left out\): ".*" is 300\d+ characters long, more than a link can be \(8192\); check that it holds the one link you meant \[INVALID_URL\]$/,
    );
    expect(lines[1]).toMatch(
      /^z+… \(\d+ more characters left out\): ".*" is 500000 characters long.*\[INVALID_URL\]$/,
    );
    expect(reason.length).toBeLessThan(4000);
    // The good link of the same file is fetched all the same.
    expect(await readdir(join(root, 'queues', 'youtube_audio'))).toEqual([
      `job_${linkJobId('generic', 'two', media.server.url('two.m4a'), 'audio')}`,
    ]);
  });

  it("keeps a link's user:password out of the job and the reason file; the link is still fetched with them", async () => {
    const { root } = await media.setup();
    const requests = join(root, 'requests', 'youtube');
    await mkdir(requests, { recursive: true });
    const withLogin = (path: string) => media.server.url(path).replace('://', '://bob:hunter2@');
    await writeFile(join(requests, 'nas.txt'), `${withLogin('two.m4a')}\n${withLogin('gone.m4a')}\n`);
    await runUntilHandled(root, (names) => names.includes('nas.fail.reason'));
    const reason = await readFile(join(requests, 'nas.fail.reason'), 'utf8');
    expect(reason).not.toContain('hunter2');
    expect(reason).toMatch(/http:\/\/\[redacted\]@127\.0\.0\.1:\d+\/gone\.m4a.*HTTP 404.*\[NOT_FOUND\]/);
    const [queued] = await readdir(join(root, 'queues', 'youtube_audio'));
    const dir = join(root, 'queues', 'youtube_audio', queued!);
    expect(await readFile(join(dir, 'job.json'), 'utf8')).not.toContain('hunter2');
    expect((await readJob(dir)).youtube).toMatchObject({ url: media.server.url('two.m4a') });
    const basic = `Basic ${Buffer.from('bob:hunter2').toString('base64')}`;
    expect(media.server.authorizations.get('/two.m4a')).toContain(basic);
  });
});
