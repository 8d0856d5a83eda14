import { z } from 'zod';
import { WEB, localPathSchema, timerMax } from '@imk/config';

/** The config file `config/web.yaml` and env prefix `IMK_WEB__`. */
export const WEB_SERVICE = WEB;

export const WebConfigSchema = z
  .object({
    host: z
      .string()
      .min(1)
      .default('127.0.0.1')
      .describe('Address the dashboard listens on. Anything but a loopback address requires a token.'),
    allowedHosts: z
      .array(z.string().min(1))
      .default([])
      .describe(
        "Further host names the dashboard answers to (the Host header), e.g. a reverse proxy's `imk.example.com` or a LAN name; `name` allows any port, `name:port` only that one. The address it listens on, `localhost`, `127.0.0.1` and `[::1]` are always allowed.",
      ),
    port: z.number().int().min(0).max(65535).default(8080).describe('TCP port (0 = any free port).'),
    token: z
      .string()
      .min(16, 'use at least 16 characters (e.g. `openssl rand -hex 24`)')
      .optional()
      .describe('Access token (set it through IMK_WEB__TOKEN rather than the file). Required off loopback.'),
    tokenFile: localPathSchema()
      .optional()
      .describe(
        'File holding the access token (relative to the root; e.g. a Docker secret); used when `token` is not set.',
      ),
    bodyLimitKb: z
      .number()
      .int()
      .positive()
      .default(1024)
      .describe(
        'Largest request body the dashboard takes other than an upload (a list of URLs, a mix, subscriptions), in KiB.',
      ),
    uploadLimitMb: z
      .number()
      .positive()
      .default(2048)
      .describe('Largest file accepted by the upload form, in MB.'),
    eventIntervalMs: z
      .number()
      .int()
      .min(100)
      .max(...timerMax('milliseconds'))
      .default(1000)
      .describe('How often live updates (server-sent events) look for changes, in ms.'),
    previewWidth: z
      .number()
      .int()
      .min(100)
      .max(4000)
      .default(900)
      .describe('Width of waveform/spectrogram images.'),
    previewTimeoutSec: z
      .number()
      .int()
      .min(1)
      .max(3600)
      .default(60)
      .describe(
        'Longest time ffmpeg may take to draw one waveform/spectrogram image; then it is stopped and the request answers 500 PREVIEW_FAILED.',
      ),
  })
  .describe('The web dashboard and HTTP API (`imk run web`, part of `imk up`).');
export type WebConfig = z.infer<typeof WebConfigSchema>;
