import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { registerBearerAuth } from './bearer-auth.ts';
import { createLoginThrottle } from './throttle.ts';

const TOKEN = 't'.repeat(32);

async function server(throttleScope: 'all' | 'bearer') {
  const app = Fastify();
  const throttle = createLoginThrottle({ freeAttempts: 1 });
  registerBearerAuth(app, { token: TOKEN, throttle, throttleScope, unauthorizedMessage: 'bring the token' });
  app.get('/x', () => ({ ok: true }));
  await app.ready();
  const get = (authorization?: string) =>
    app.inject({ method: 'GET', url: '/x', headers: authorization ? { authorization } : {} });
  return { app, get };
}

describe('registerBearerAuth (the dashboard and the retriever API)', () => {
  it('lets the right token in, answers 401 with how to get in, then 429 after wrong tokens', async () => {
    const { app, get } = await server('all');
    expect((await get(`Bearer ${TOKEN}`)).statusCode).toBe(200);
    const anonymous = await get();
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(anonymous.json()).toMatchObject({ error: 'UNAUTHORIZED', message: 'bring the token' });
    await get('Bearer wrong');
    await get('Bearer wrong');
    const blocked = await get(`Bearer ${TOKEN}`);
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    // An API: a client that is waiting is refused even without a token.
    expect((await get()).statusCode).toBe(429);
    await app.close();
  });

  it("with throttleScope 'bearer', a waiting client still gets the 401 (the login page works)", async () => {
    const { app, get } = await server('bearer');
    await get('Bearer wrong');
    await get('Bearer wrong');
    expect((await get('Bearer wrong')).statusCode).toBe(429);
    expect((await get()).statusCode).toBe(401);
    await app.close();
  });
});
