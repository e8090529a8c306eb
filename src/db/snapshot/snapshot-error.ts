/** A copy, backup or restore that cannot go ahead or did not verify, explained in one line. */
export class SnapshotError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SnapshotError';
  }
}
