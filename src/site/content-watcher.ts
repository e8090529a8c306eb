import type { DatabaseHandle } from '../db/connect.ts';
import { readContentVersion } from '../settings/index.ts';

/** Notices content changes made by any process (a CLI import, another server) and reports them. */
export class ContentWatcher {
  readonly #handle: DatabaseHandle;
  readonly #onChange: () => void;
  #version = -1;
  #timer: NodeJS.Timeout | undefined;

  constructor(handle: DatabaseHandle, onChange: () => void) {
    this.#handle = handle;
    this.#onChange = onChange;
  }

  async start(intervalMs: number): Promise<void> {
    this.#version = await readContentVersion(this.#handle.db);
    this.#timer = setInterval(() => {
      this.check().catch(() => {});
    }, intervalMs);
    this.#timer.unref();
  }

  /** Compares the stored version with the last one seen; returns true when content changed. */
  async check(): Promise<boolean> {
    const version = await readContentVersion(this.#handle.db);
    if (version === this.#version) return false;
    this.#version = version;
    this.#onChange();
    return true;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
