/** A back-office failure shown to the user with its status and a plain message. */
export class AdminHttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'AdminHttpError';
    this.status = status;
  }
}
