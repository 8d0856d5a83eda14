import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { isRetryableError } from '@imk/errors';
import { registerHttpGuard } from './guard.ts';
import { createHostPolicy } from './hosts.ts';
import { safeRedirectPath } from './redirect.ts';
import { createLoginThrottle } from './throttle.ts';

describe('safeRedirectPath', () => {
  it('keeps local paths and sends everything else to /', () => {
    for (const ok of ['/', '/#/job/yt_x', '/api/jobs?state=failed', '/outputs/x/a%2Db.m4a'])
      expect(safeRedirectPath(ok)).toBe(ok);
    for (const bad of [
      '//evil',
      '/\\evil',
      '/\\/evil',
      '\\/evil',
      'https://evil',
      'https:evil',
      'evil',
      '/%2f%2fevil',
      '/%2F/evil',
      '%2F%2Fevil',
      '/%5cevil',
      '/%255cevil',
      '/%25252F%25252Fevil',
      '/\u0000/evil',
      '/\t/evil',
      '/\r\n/evil',
      '/%0a/evil',
      '/\u3000/evil',
      '/%E3%80%80/evil',
      '/%',
      undefined,
      42,
      '',
    ])
      expect(safeRedirectPath(bad), JSON.stringify(bad)).toBe('/');
  });
});

describe('createHostPolicy', () => {
  const policy = createHostPolicy({ bindHost: '0.0.0.0', allowedHosts: ['nas.local', 'proxy.example:443'] });
  it('allows loopback names and the arriving address on the port, and configured names', () => {
    expect(policy.allows('127.0.0.1:8080', '127.0.0.1', 8080)).toBe(true);
    expect(policy.allows('[::1]:8080', '::1', 8080)).toBe(true);
    expect(policy.allows('192.168.1.5:8080', '::ffff:192.168.1.5', 8080)).toBe(true);
    expect(policy.allows('nas.local:9999', '192.168.1.5', 8080)).toBe(true);
    expect(policy.allows('proxy.example:443', '127.0.0.1', 8080)).toBe(true);
  });
  it('refuses rebound names, other ports and malformed headers', () => {
    for (const host of [
      'evil.example:8080',
      '192.168.1.6:8080',
      '127.0.0.1:8081',
      'proxy.example',
      'a b',
      '127.0.0.1:99999',
    ])
      expect(policy.allows(host, '192.168.1.5', 8080), host).toBe(false);
    expect(policy.allows(undefined, '127.0.0.1', 8080)).toBe(false);
  });
  it('refuses to start on an allowedHosts entry that is no host name, saying which entry and what to write', async () => {
    // A URL pasted from the address bar (the reverse proxy's), a path, a user: the dashboard did not start
    // and said only '"https://imk.example.com/" is not a host name or host:port', a plain Error with no
    // field and no code (no policy).
    for (const entry of ['https://imk.example.com/', 'imk.example.com/imk', 'me@imk.example.com']) {
      const app = Fastify();
      let thrown: unknown;
      try {
        registerHttpGuard(app, { bindHost: '127.0.0.1', allowedHosts: ['nas.local', entry] });
      } catch (error) {
        thrown = error;
      }
      await app.close();
      expect(thrown, entry).toMatchObject({ code: 'ALLOWED_HOST_INVALID' });
      expect(isRetryableError(thrown), entry).toBe(false);
      expect((thrown as Error).message).toContain(`allowedHosts[1]: "${entry}" is not a host name`);
      expect((thrown as Error).message).toContain('without http://');
    }
  });
});

describe('createLoginThrottle', () => {
  it('lets a few failures through, then doubles the wait; a success forgets', () => {
    let now = 0;
    const throttle = createLoginThrottle({ now: () => now });
    for (let i = 0; i < 4; i++) throttle.failed('a');
    expect(throttle.retryAfterSec('a')).toBe(0);
    throttle.failed('a');
    expect(throttle.retryAfterSec('a')).toBe(1);
    throttle.failed('a');
    expect(throttle.retryAfterSec('a')).toBe(2);
    expect(throttle.retryAfterSec('b')).toBe(0);
    now += 5000;
    expect(throttle.retryAfterSec('a')).toBe(0);
    throttle.succeeded('a');
    throttle.failed('a');
    expect(throttle.retryAfterSec('a')).toBe(0);
  });
});
