import { describe, expect, it } from 'vitest';
import { DEFAULT_QUEUE, INSTRUMENTAL_MAKER, QUEUE_NAMES } from '@imk/config';
import { DEEZER_KINDS } from '@imk/deemix-retriever-service';
import { LEDGER_STATES } from '@imk/ledger';
import { LOG_FORMAT_ENV, LOG_FORMATS } from '@imk/log';
import { HEALTHCHECK_MAX_AGE_SECONDS } from '@imk/ops';
import { InstrumentalMakerConfigSchema } from '@imk/instrumental-maker-service';
import { JOB_PRIORITY, PITCH_LIMITS, SAMPLE_RATE_RANGE, STEM_NAMES, TEMPO_LIMITS } from '@imk/protocol';
import { AUDIO_FORMATS } from '@imk/media';
import { FETCH_MODES } from '@imk/retriever-sdk';
import { ENGINE_NAMES } from '@imk/separation';
import { WebConfigSchema } from '@imk/web-service';
import * as choices from './choices.ts';

// The command line offers these values before it loads any package; they must be the packages' own.
describe('the choices the commands offer', () => {
  it('are the lists of the packages that own them', () => {
    expect(choices.QUEUE_NAMES).toEqual(QUEUE_NAMES);
    expect(choices.ENGINE_NAMES).toEqual(ENGINE_NAMES);
    expect(choices.AUDIO_FORMATS).toEqual(AUDIO_FORMATS);
    expect(choices.FETCH_MODES).toEqual(FETCH_MODES);
    expect(choices.STEM_NAMES).toEqual(STEM_NAMES);
    expect(choices.DEEZER_KINDS).toEqual(DEEZER_KINDS);
    expect(choices.LOG_FORMATS).toEqual(LOG_FORMATS);
    expect(choices.LOG_FORMAT_ENV).toBe(LOG_FORMAT_ENV);
    expect(choices.LEDGER_STATES).toEqual(LEDGER_STATES);
  });

  it("are the defaults of the packages that own them (`imk enqueue --queue`, `imk up --help`'s host and port)", () => {
    expect(choices.DEFAULT_QUEUE).toBe(DEFAULT_QUEUE);
    const web = WebConfigSchema.parse({});
    expect(choices.WEB_DEFAULT_HOST).toBe(web.host);
    expect(choices.WEB_DEFAULT_PORT).toBe(web.port);
  });

  it("are the values of the packages that own them: `imk enqueue --priority`'s range and default, `imk healthcheck --max-age`, `imk run`'s service", () => {
    expect(choices.JOB_PRIORITY).toEqual(JOB_PRIORITY);
    expect(choices.HEALTHCHECK_MAX_AGE_SECONDS).toBe(HEALTHCHECK_MAX_AGE_SECONDS);
    expect(choices.DEFAULT_RUN_SERVICE).toBe(INSTRUMENTAL_MAKER);
  });

  it("are the ranges and defaults of the packages that own them: `imk separate`'s sample rate, key and tempo, engine, format and variants", () => {
    expect(choices.SAMPLE_RATE_RANGE).toEqual(SAMPLE_RATE_RANGE);
    expect(choices.PITCH_LIMITS).toEqual(PITCH_LIMITS);
    expect(choices.TEMPO_LIMITS).toEqual(TEMPO_LIMITS);
    const worker = InstrumentalMakerConfigSchema.parse({});
    expect(choices.DEFAULT_ENGINE).toBe(worker.engine.name);
    expect(choices.DEFAULT_FORMAT).toBe(worker.output.format);
    expect(choices.DEFAULT_VARIANTS).toEqual(worker.variants);
  });
});
