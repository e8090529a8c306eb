import type { DatabaseHandle } from '../db/connect.ts';
import { readContentVersion } from '../settings/index.ts';

/** Notices content changes made by any process (a CLI import, another server) and reports them. */
export class ContentWatcher {
  readonly #handle: DatabaseHandle;
  readonly #onChange: () => void;
  #version = -1;
  #timer: NodeJS.Timeout | undefined;
  #intervalMs = 0;
  #stopped = false;

  constructor(handle: DatabaseHandle, onChange: () => void) {
    this.#handle = handle;
    this.#onChange = onChange;
  }

  async start(intervalMs: number): Promise<void> {
    this.#version = await readContentVersion(this.#handle.db);
    this.pollEvery(intervalMs);
  }

  /** Changes how often the stored version is polled (faster while change notifications are down). */
  pollEvery(intervalMs: number): void {
    if (this.#stopped || intervalMs === this.#intervalMs) return;
    this.#intervalMs = intervalMs;
    clearInterval(this.#timer);
    this.#timer = setInterval(() => {
      this.check().catch(() => {});
    }, intervalMs);
    this.#timer.unref();
  }

  get intervalMs(): number {
    return this.#intervalMs;
  }

  /** Compares the stored version with the last one seen; returns true when content changed. */
  async check(): Promise<boolean> {
    const version = await readContentVersion(this.#handle.db);
    if (version === this.#version) return false;
    this.#version = version;
    this.#onChange();
    return true;
  }

  /** A version announced by a committed write; reads the database only when it is news. */
  async announced(version: number): Promise<boolean> {
    if (version === this.#version) return false;
    return this.check();
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
  }
}
