import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { replyRefusal } from './errors.ts';
import { CACHE_CONTROL, SECURITY_HEADERS } from './headers.ts';
import { createHostPolicy, type HostPolicyOptions } from './hosts.ts';
import { changesState, checkBodyType, checkOrigin, type Refusal } from './request-checks.ts';
import { replyRequestError, type RequestErrorOptions } from './request-errors.ts';
import { recordRoutes, replyNoRoute } from './routing.ts';

export interface HttpGuardOptions extends HostPolicyOptions, RequestErrorOptions {
  /** The app's answer to every error other than Fastify's refusals of a body. @default Fastify's own */
  onError?: (error: unknown, request: FastifyRequest, reply: FastifyReply) => void;
}

/**
 * Protects a Fastify app as a whole (the dashboard, the retriever API): security headers and no-store
 * on every response; on every request the Host header is checked (DNS rebinding); on every state-changing
 * request the Origin / Sec-Fetch-Site and the body type. Register it before any other hook or route. It is
 * the app's error handler too: Fastify's refusals of a body (too large, not JSON) answer with a code of its
 * catalogue that says the limit and what to do (requestErrorRefusal); `onError` answers the rest. A request no
 * route takes is answered `404 ROUTE_NOT_FOUND`, or `405 METHOD_NOT_ALLOWED` with `Allow` when its path is
 * routed for other methods (replyNoRoute). Give `Fastify()` the guard's `frameworkErrors` too.
 */
export function registerHttpGuard(app: FastifyInstance, options: HttpGuardOptions): void {
  const policy = createHostPolicy(options);
  const routes = recordRoutes(app);
  app.setNotFoundHandler((request, reply) => replyNoRoute(request, reply, routes));
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    // On the raw response, so hijacked replies (event streams) and errors carry them too.
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.raw.setHeader(name, value);
    reply.raw.setHeader('cache-control', CACHE_CONTROL);
    const socket = request.raw.socket;
    if (!policy.allows(request.headers.host, socket.localAddress, socket.localPort ?? 0))
      return refuse(reply, {
        error: 'HOST_NOT_ALLOWED',
        message: `this server does not answer to Host "${String(request.headers.host ?? '').slice(0, 100)}"; open it by the address it listens on, localhost or 127.0.0.1, or add the name to allowedHosts in its config`,
      });
    if (!changesState(request.method)) return;
    const refusal =
      checkOrigin(request.headers, policy, request.protocol) ??
      checkBodyType(request.headers, request.routeOptions.config.accepts);
    if (refusal) return refuse(reply, refusal);
  });
  app.setErrorHandler((error, request, reply) => {
    if (replyRequestError(error, request, reply, options)) return;
    if (options.onError) options.onError(error, request, reply);
    // Fastify's own answer (in the root scope, send(error) from the error handler goes to its default).
    else void reply.send(error);
  });
  // Routes and plugins (static files) may set their own caching; what leaves here is never stored.
  app.addHook('onSend', async (_request, reply, payload) => {
    void reply.header('cache-control', CACHE_CONTROL);
    return payload;
  });
}

async function refuse(reply: FastifyReply, refusal: Refusal): Promise<void> {
  await replyRefusal(reply, refusal.error, refusal.message);
}
