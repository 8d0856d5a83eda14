import { describe, expect, it } from 'vitest';
import { isSecretName, redactText, redactValue } from './redact.ts';

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
      'key',
      'privateKey',
      'credentials',
      'Authorization',
      'X-Amz-Signature',
    ])
      expect(isSecretName(name), name).toBe(true);
    for (const name of ['host', 'username', 'bucket', 'cacheKey', 'hostKeyCheck', 'early', 'url', 'path'])
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
