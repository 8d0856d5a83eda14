/**
 * The page's policy: scripts, styles, images, media and fetches from this server only; no inline script,
 * no plugins, no framing, forms post only here. The dashboard is built to work under it (no inline script
 * or style; images and media are its own URLs; `data:`/`blob:` for previews made in the page).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

/** Sent with every response, whatever produced it (a route, a 404, an error, an event stream). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // Not `no-referrer`: under it Chromium sends `Origin: null` with the page's own form posts, which the
  // Origin check must refuse. same-origin: our own requests say where they come from, other sites learn nothing.
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  // Other sites may not embed our audio, images or JSON (no reading outputs through <audio src> elsewhere).
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
};

/** Every response is private data (job names, the library, tokens' effects): no cache keeps it. */
export const CACHE_CONTROL = 'no-store';
