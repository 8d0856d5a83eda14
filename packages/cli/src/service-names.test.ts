import { describe, expect, it } from 'vitest';
import { DEEMIX_RETRIEVER, INBOX, YOUTUBE_RETRIEVER } from '@imk/config';
import { loadService } from './services.ts';

// A library that has to name a service (the legacy migration writes config/<service>.yaml, a state folder
// is state/<service>/) takes the name from @imk/config, and so does the service itself: the Deezer
// retriever and the inbox spelled theirs again in their own config.ts, so a rename on one side would have
// left the migration writing a file no service reads.
describe('the service names @imk/config spells', () => {
  it.each([
    ['youtube-retriever', YOUTUBE_RETRIEVER],
    ['deemix-retriever', DEEMIX_RETRIEVER],
    ['inbox', INBOX],
  ])('%s is the name its service is defined and run under', async (name, constant) => {
    expect(constant).toBe(name);
    expect((await loadService(constant)).name).toBe(constant);
  });
});
