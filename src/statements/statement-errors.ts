/** Input that cannot be saved, with a message per form field. */
export class StatementInputError extends Error {
  readonly fields: Record<string, string>;
  constructor(fields: Record<string, string>) {
    super(
      Object.entries(fields)
        .map(([field, message]) => `${field}: ${message}`)
        .join('; '),
    );
    this.name = 'StatementInputError';
    this.fields = fields;
  }
}

/** Someone else saved the statement since this editor opened it. */
export class StatementConflictError extends Error {
  constructor() {
    super(
      'Someone else saved this statement after you opened it. Your changes were not saved: copy them, reload, and apply them again.',
    );
    this.name = 'StatementConflictError';
  }
}

export class StatementNotFoundError extends Error {
  constructor() {
    super('There is no such statement.');
    this.name = 'StatementNotFoundError';
  }
}

export class StatementForbiddenError extends Error {
  constructor(message = 'Your account is not allowed to do this to this statement.') {
    super(message);
    this.name = 'StatementForbiddenError';
  }
}
