/** An error a visitor may see: a status and a message with no internals. */
export class PublicError extends Error {
  readonly status: number;
  readonly title: string;
  constructor(status: number, title: string, message: string) {
    super(message);
    this.name = 'PublicError';
    this.status = status;
    this.title = title;
  }
}
