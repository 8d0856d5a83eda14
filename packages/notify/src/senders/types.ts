import type { NotifyEvent } from '../events.ts';

/** One configured destination. `send` throws an ImkError when the destination did not take the event. */
export interface NotifySender {
  /** The target's name (config `name`, else `<type>-<index>`). */
  name: string;
  type: 'webhook' | 'ntfy' | 'apprise';
  send(event: NotifyEvent, signal?: AbortSignal): Promise<void>;
}

export interface SenderContext {
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** A private folder for files a sender needs for a moment (apprise's URL file). */
  scratchDir: string;
}
