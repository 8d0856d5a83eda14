import { describe, expect, it } from 'vitest';
import { isSecretName, redactText, redactValue, urlForLog } from './redact.ts';
import { capturingLogger } from './testing.ts';

describe('isSecretName', () => {
  it('knows secrets by their name, whatever the spelling', () => {
    for (const name of [
      'secretAccessKey',
      'accessKeyId',
      'password',
      'sftp_password',
      'passphrase',
      'token',
      'tokenFile',
      'sessionToken',
      'arl',
      'deezerArl',
      'ARL',
      'apiKey',
      'api_key',
      'privateKey',
      'sshKey',
      'encryption_key',
      'secretKey',
      'accessKey',
      'credentials',
      'Authorization',
      'X-Amz-Signature',
    ])
      expect(isSecretName(name), name).toBe(true);
    // A key that names a thing (the stem cache's key, an S3 object Key, a sort key) is no secret.
    for (const name of [
      'host',
      'username',
      'bucket',
      'key',
      'Key',
      'cacheKey',
      'sortKey',
      'outputKey',
      'jobKey',
      'folderKey',
      'hostKeyCheck',
      'early',
      'url',
      'path',
    ])
      expect(isSecretName(name), name).toBe(false);
  });
});

describe('redactText', () => {
  it('strips credentials from URLs and keeps where they point', () => {
    const text = redactText('GET http://user:hunter2@nas.local:9000/bucket failed; also s3://KEY:SEC@host/x');
    expect(text).not.toMatch(/hunter2|user:|KEY:SEC/);
    expect(text).toContain('http://[redacted]@nas.local:9000/bucket');
    expect(text).toContain('s3://[redacted]@host/x');
  });
  it('strips secret query parameters and keeps the others', () => {
    const text = redactText('https://h/x?token=abc123&page=2&api_key=zzz&X-Amz-Signature=ff00 done');
    expect(text).toBe(
      'https://h/x?token=[redacted]&page=2&api_key=[redacted]&X-Amz-Signature=[redacted] done',
    );
  });
  it('strips quoted secret values and NAME=value pairs, not prose', () => {
    expect(redactText('{"password":"p4ss","host":"nas"}')).toBe('{"password":"[redacted]","host":"nas"}');
    expect(redactText("secretAccessKey: 'abc' and IMK_DEEMIX_ARL=deadbeef")).toBe(
      'secretAccessKey: [redacted] and IMK_DEEMIX_ARL=[redacted]',
    );
    expect(redactText('token: use at least 16 characters')).toBe('token: use at least 16 characters');
    expect(redactText('Authorization: Bearer abcdef123456')).toBe('Authorization: Bearer [redacted]');
  });
  it('a secret-named value that is a scheme and a credential (auth=Bearer …) loses the credential too', () => {
    for (const text of ['auth=Bearer tk_short1 refused', 'token=Basic Ym9iOmh1bnRlcjI= refused'])
      expect(redactText(text), text).not.toMatch(/tk_short1|Ym9iOmh1bnRlcjI/);
    expect(redactText('password="Bearer abcdef123456"')).toBe('password="[redacted]"');
  });
  it('reads a long line once: a 1 MB word, path or query is redacted in moments, and what it hides is still hidden', () => {
    // Names were read without a bound from every position in a word: a 40 kB word took 17 s, a 1 MB line
    // (a yt-dlp error quoting a page, a request file of junk) hours, and every log call carrying it waited.
    const long = 'a'.repeat(1_000_000);
    const started = process.hrtime.bigint();
    for (const text of [long, `http://${long}`, `?${long.replace(/a{2}/g, 'a?')}`, `${long}.b://x`])
      redactText(text);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    // Generous: the old code needs hours for these; the new one milliseconds.
    expect(seconds, `redactText took ${seconds.toFixed(1)} s for four 1 MB lines`).toBeLessThan(20);
    expect(redactText(`${long} password=hunter2 http://bob:hunter2@nas/${long}?token=hunter2`)).not.toContain(
      'hunter2',
    );
  });
});

describe('URLs of webhooks, notification and media servers, and remotes', () => {
  // Each holds a secret in its user info, its path or its query, in the form the service documents.
  const secrets: [url: string, secret: string][] = [
    [
      'https://discord.com/api/webhooks/1187654321098765432/Xy7_kQ2mZpL9vR4tWb8nC1dF6gH3jK5sA0eU-iO7yT2qB9xN4cV6mP1zL8wS3rE5uJ0a',
      'Xy7_kQ2mZpL9vR4tWb8nC1dF6gH3jK5sA0eU-iO7yT2qB9xN4cV6mP1zL8wS3rE5uJ0a',
    ],
    [
      'https://hooks.slack.com/services/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',
      'lcvL9MWvWgjWJCJL1kKaJl5K',
    ],
    ['https://maker.ifttt.com/trigger/song_done/with/key/dQw4w9WgXcQ2aZk8LmN0pR', 'dQw4w9WgXcQ2aZk8LmN0pR'],
    ['https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage', 'AAHdqTcv'],
    ['https://gotify.lan/message?token=AbCdEf.123-_x', 'AbCdEf.123'],
    ['https://ntfy.sh/alerts?auth=QmFzaWMgZEdWemREcDBaWE4w', 'QmFzaWMg'],
    ['http://jellyfin.lan:8096/Library/Refresh?api_key=0123abcd', '0123abcd'],
    ['http://plex.lan:32400/library/sections/1/refresh?X-Plex-Token=zzPlexTok', 'zzPlexTok'],
    ['https://hass.lan/api/webhook/8f14e45fceea167a5a36dedd4bea2543', '8f14e45fceea167a5a36dedd4bea2543'],
    ['sftp://me:pa55word@nas.lan:22/music', 'pa55word'],
    ['s3://AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI@minio.lan:9000/bucket', 'wJalrXUtnFEMI'],
    ['https://user:tok@example.org/x', 'tok@'],
  ];
  it('redactText keeps no credential of any of them, in prose or in a JSON log line', () => {
    for (const [url, secret] of secrets) {
      expect(redactText(`send to ${url} failed: HTTP 500`), url).not.toContain(secret);
      expect(redactText(JSON.stringify({ msg: `POST ${url}` })), url).not.toContain(secret);
    }
  });
  it('an rclone connection string loses its keys and password', () => {
    const text = redactText(
      'rclone backend "nas" (:sftp,host=nas.lan,user=me,pass=Obscur3dPass:music): copy failed; :s3,access_key_id=AKIAX,secret_access_key=wJalr:b',
    );
    expect(text).not.toMatch(/Obscur3dPass|AKIAX|wJalr/);
    expect(text).toContain('host=nas.lan');
  });
  it('keeps what names a place: hosts, short ids, ordinary and file names', () => {
    for (const url of [
      'https://www.youtube.com/watch?v=dQw4w9WgXcQ',
      'https://soundcloud.com/some-artist/a-very-long-song-title-2023-remaster',
      'http://nas.local:9000/bucket/Artist/Album/01-track-name-2023-version.flac',
      'https://discord.com/api/webhooks/1187654321098765432',
    ])
      expect(redactText(url), url).toBe(url);
  });
  it('keeps the long public ids of media sites: the channel or playlist a user asked for stays readable', () => {
    for (const url of [
      'https://www.youtube.com/channel/UCuAXFkgsw1L7xaCfnd5JJOw/videos',
      'https://m.youtube.com/channel/UC-lHJZR3Gqxm24_Vd_AJ5Yw',
      'https://music.youtube.com/browse/MPREb_4pL8gzRtw1p',
      'https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC',
      'https://www.deezer.com/en/playlist/1313621735',
      'https://artist.bandcamp.com/album/a-long-album-title-2023',
    ])
      expect(redactText(`fetching ${url} failed: HTTP 429`), url).toBe(`fetching ${url} failed: HTTP 429`);
    // ...but their secrets still go, and a look-alike host is not one of them.
    expect(redactText('https://me:pw@www.youtube.com/channel/UCuAXFkgsw1L7xaCfnd5JJOw')).not.toContain('pw@');
    expect(redactText('https://youtube.com.evil.example/hook/Xy7kQ2mZpL9vR4tWb8nC1dF6gH3')).toContain(
      '[redacted]',
    );
    expect(redactText('https://notyoutube.com/hook/Xy7kQ2mZpL9vR4tWb8nC1dF6gH3')).toContain('[redacted]');
  });
  it('urlForLog tells scheme, host and port only', () => {
    for (const [url] of secrets) expect(urlForLog(url)).toMatch(/^[a-z0-9]+:\/\/[^/@?#]+$/);
    expect(urlForLog('http://plex.lan:32400/library?X-Plex-Token=z')).toBe('http://plex.lan:32400');
    expect(urlForLog('not a url')).toBe('(invalid URL)');
  });
});

describe('apprise URLs (as apprise documents them), in a config error or a notify failure', () => {
  const say = (url: string) => redactText(`apprise phone: cannot send to ${url}: exit 1`);
  it('any scheme://user:password@ loses its user info, even a password holding an @', () => {
    for (const [url, secret] of [
      ['mailto://me:p@ssw0rd@gmail.com', 'ssw0rd'],
      ['mailtos://me:hunter2@smtp.example.org:465/?to=you@example.org', 'hunter2'],
      ['json://user:hunter2@nas.lan:8080/hook', 'hunter2'],
      ['ntfys://user:hunter2@ntfy.example.org/alerts', 'hunter2'],
      ['matrixs://bot:syt_dG9rZW4@matrix.org/!room', 'syt_dG9rZW4'],
      ['rocket://incomingHookId@chat.example.org/#general', 'incomingHookId'],
      ['twilio://AC1234:authtok3n@15551234567/15557654321', 'authtok3n'],
      ['toots://mastodonAccessTok@mastodon.social', 'mastodonAccessTok'],
    ]) {
      expect(say(url!), url).not.toContain(secret);
      expect(say(url!), url).toContain('[redacted]@');
    }
    expect(say('json://user:hunter2@nas.lan:8080/hook')).toContain('json://[redacted]@nas.lan:8080/hook');
  });
  it('a scheme whose host is a token (Telegram, Pushbullet, Pushover, Join, Discord, Slack, SendGrid, Mailgun…) shows the scheme only', () => {
    for (const [url, secret] of [
      ['tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/-1001234567890', 'AAHdqTcv'],
      ['tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/', '123456789'],
      ['pbul://o.gn5kj6nfhv736I7jC3cj3QLRiyhgl98b', 'gn5kj6'],
      ['pover://uQiRzpo4DXghDmr9QzzfQu27cmVRsG@azGDORePK8gMaC0QOYAMyEEuzJnyUi', 'azGDORe'],
      ['join://abcdef0123456789abcdef0123456789/group.phone', 'abcdef0123456789'],
      ['discord://1187654321098765432/Xy7_kQ2mZpL9vR4tWb8nC1dF6gH3jK5sA0eU', 'Xy7_kQ2'],
      ['slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general', 'TIiajkdn'],
      ['slack://mybot@xoxb-1234-1234-4ddbc191d40ee098cbaae6f3523ada2d/#general', 'xoxb-1234'],
      ['sendgrid://SG.abcdef.ghijkl:noreply@example.org/you@example.org', 'SG.abcdef'],
      ['mailgun://noreply@example.org:key-3ax6xnjp29jd6fds4gc373sgvjxteol0/', 'key-3ax6'],
      ['prowl://abc123def456ghi789/providerkey42', 'abc123def'],
      ['ifttt://b9jPq1x4e8Ls/song_done', 'b9jPq1x4e8Ls'],
      ['opsgenie://0123abcd-0123-abcd-0123-0123abcd4567', '0123abcd'],
    ]) {
      const said = say(url!);
      expect(said, url).not.toContain(secret);
      expect(said, url).toContain(`${url!.split('://')[0]}://[redacted]`);
    }
  });
  it('a scheme whose path holds the token (Gotify, Mattermost, Apprise API, Zulip, ntfy) keeps the server, not the token', () => {
    expect(say('gotify://gotify.lan/AbCdEf.123-_x')).toContain('gotify://gotify.lan/[redacted]:');
    expect(say('mmosts://chat.example.org/3ccdd113474722377935511fc85d3dd4')).toContain(
      'mmosts://chat.example.org/[redacted]:',
    );
    expect(say('apprise://apprise.lan:8000/mykey')).toContain('apprise://apprise.lan:8000/[redacted]:');
    expect(say('zulip://bot@example.zulipchat.com/abcdefghijklmn')).not.toContain('abcdefghijklmn');
    expect(say('ntfy://ntfy.sh/my-private-topic')).toContain('ntfy://ntfy.sh/[redacted]:');
    expect(say('ntfy://my-private-topic')).toContain('ntfy://[redacted]:');
  });
  it('a scheme not listed still loses a host that is a key: a port that is no number, a token-shaped host', () => {
    expect(say('newsvc://123456789:notaport/x')).not.toContain('notaport');
    expect(say('newsvc://Zq8Xw2Lk9Pm4Rt7Vb1Nc5Hd3/x')).not.toContain('Zq8Xw2');
    // ...and a plain server keeps its name and port, and so do sentences around it.
    expect(redactText('(see http://nas.lan:8080/status).')).toBe('(see http://nas.lan:8080/status).');
  });
  it('redacting twice changes nothing more, and urlForLog never shows a host that is a token', () => {
    const once = say('tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/-100123');
    expect(redactText(once)).toBe(once);
    expect(urlForLog('pbul://o.gn5kj6nfhv736I7jC3cj3QLRiyhgl98b')).toBe('pbul://[redacted]');
    expect(urlForLog('gotify://gotify.lan/AbCdEf')).toBe('gotify://gotify.lan');
  });
});

describe('redactValue', () => {
  it('hides secret-named values at any depth and cleans strings and errors', () => {
    const error = new Error('connect to http://u:pw@h failed');
    const out = JSON.stringify(
      redactValue({
        a: { b: { c: { password: 'P', list: [{ arl: 'A' }] } } },
        url: 'http://u:pw@h/',
        err: error,
      }),
    );
    expect(out).not.toMatch(/"P"|"A"|u:pw/);
    expect(out).toContain('http://[redacted]@h');
  });
});

describe('a log line keeps the keys that name things and hides the secrets', () => {
  it('shows the stem cache key and an S3 object Key, hides tokens, passwords, ARLs and secret keys', () => {
    const { logger, lines } = capturingLogger();
    logger.info(
      {
        key: '3f9a0c1d-htdemucs',
        Key: 'music/ABBA - SOS.mp3',
        sortKey: 'abba',
        token: 'tk_0123456789',
        password: 'hunter2',
        arl: 'deadbeefarl',
        secretAccessKey: 'wJalrXUtnFEMI',
        apiKey: 'jf_api_0123',
        privateKey: '-----BEGIN KEY-----',
      },
      'stems found in the cache; the engine is not run',
    );
    const line = lines()[0] ?? {};
    expect(line).toMatchObject({ key: '3f9a0c1d-htdemucs', Key: 'music/ABBA - SOS.mp3', sortKey: 'abba' });
    for (const name of ['token', 'password', 'arl', 'secretAccessKey', 'apiKey', 'privateKey'])
      expect(line[name], name).toBe('[redacted]');
  });

  it('still hides a key given in a URL query (?key= is an API key there)', () => {
    expect(redactText('POST https://h/api/webhook/x?key=k3y-value failed')).toBe(
      'POST https://h/api/webhook/x?key=[redacted] failed',
    );
  });
});
