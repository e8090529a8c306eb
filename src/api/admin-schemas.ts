import { Type } from 'typebox';
import { STATEMENT_STATUSES } from '../statements/statement.ts';
import { TRANSITIONS } from '../statements/workflow.ts';

const DateTime = (description: string) => Type.String({ format: 'date-time', description });
const Id = Type.Integer({ minimum: 1, maximum: 2_147_483_647 });

export const IdParams = Type.Object({ id: Id });

export const AdminStatementSchema = Type.Object(
  {
    id: Type.Integer(),
    slug: Type.String(),
    title: Type.String(),
    language: Type.String(),
    status: Type.Union(STATEMENT_STATUSES.map((status) => Type.Literal(status))),
    version: Type.Integer({ description: 'Send it back when editing, to detect lost updates.' }),
    body: Type.String({ description: 'Markdown.' }),
    summary: Type.Union([Type.String(), Type.Null()], { description: 'Markdown, or null.' }),
    published_at: DateTime('Publication time (the planned one while scheduled).'),
    updated_at: DateTime('Last change.'),
    organisations: Type.Array(
      Type.Object({ id: Type.Integer(), slug: Type.String(), name: Type.String() }),
      { description: 'Signatories in signing order.' },
    ),
    url: Type.Union([Type.String({ format: 'uri' }), Type.Null()], {
      description: 'The public page, while published.',
    }),
  },
  { $id: 'AdminStatement', title: 'AdminStatement' },
);

const statementInputFields = {
  title: Type.String({ minLength: 1, maxLength: 500 }),
  slug: Type.Optional(
    Type.String({ maxLength: 200, description: 'Left out or empty: made from the title.' }),
  ),
  body: Type.String({ maxLength: 200_000, description: 'Markdown.' }),
  summary: Type.Optional(Type.String({ maxLength: 5_000, description: 'Markdown.' })),
  language: Type.String({ maxLength: 35, description: 'BCP 47 tag.' }),
  published_at: Type.Optional(DateTime('Defaults to now when creating.')),
  organisations: Type.Array(Type.String(), {
    minItems: 1,
    maxItems: 50,
    description: 'Slugs of the signing organisations, in signing order.',
  }),
};

export const StatementCreateSchema = Type.Object(statementInputFields, {
  additionalProperties: false,
});

export const StatementUpdateSchema = Type.Object(
  {
    ...statementInputFields,
    version: Type.Integer({ minimum: 1, description: 'The version you edited.' }),
  },
  { additionalProperties: false },
);

export const TransitionSchema = Type.Object(
  {
    transition: Type.Union(TRANSITIONS.map((transition) => Type.Literal(transition))),
    version: Type.Integer({ minimum: 1, description: 'The version you looked at.' }),
    schedule_at: Type.Optional(DateTime('Required for schedule: a future time.')),
  },
  { additionalProperties: false },
);

export const AdminStatementListQuery = Type.Object(
  {
    status: Type.Optional(Type.Union(STATEMENT_STATUSES.map((status) => Type.Literal(status)))),
    language: Type.Optional(Type.String({ maxLength: 35 })),
    page: Type.Integer({ minimum: 1, maximum: 100_000, default: 1 }),
    per_page: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  },
  { additionalProperties: false },
);

export const AdminStatementListSchema = Type.Object(
  {
    data: Type.Array(Type.Ref('AdminStatement')),
    total: Type.Integer(),
    page: Type.Integer(),
    per_page: Type.Integer(),
  },
  { $id: 'AdminStatementList', title: 'AdminStatementList' },
);

export const AdminOrganisationSchema = Type.Object(
  {
    id: Type.Integer(),
    slug: Type.String(),
    name: Type.String(),
    country: Type.String(),
    website: Type.Union([Type.String(), Type.Null()]),
    language: Type.String(),
    description: Type.String({ description: 'Markdown.' }),
    updated_at: DateTime('Last change.'),
  },
  { $id: 'AdminOrganisation', title: 'AdminOrganisation' },
);

export const OrganisationInputSchema = Type.Object(
  {
    name: Type.String({ maxLength: 200 }),
    slug: Type.Optional(Type.String({ maxLength: 200 })),
    country: Type.String({ maxLength: 2, description: 'ISO 3166-1 alpha-2 code.' }),
    website: Type.Optional(Type.String({ maxLength: 500 })),
    language: Type.String({ maxLength: 35 }),
    description: Type.Optional(Type.String({ maxLength: 20_000, description: 'Markdown.' })),
  },
  { additionalProperties: false },
);

export const AdminPageSchema = Type.Object(
  {
    id: Type.Integer(),
    slug: Type.String(),
    title: Type.String(),
    body: Type.String({ description: 'Markdown.' }),
    updated_at: DateTime('Last change.'),
  },
  { $id: 'AdminPage', title: 'AdminPage' },
);

export const PageInputSchema = Type.Object(
  {
    title: Type.String({ maxLength: 300 }),
    slug: Type.Optional(Type.String({ maxLength: 200 })),
    body: Type.String({ maxLength: 200_000, description: 'Markdown.' }),
  },
  { additionalProperties: false },
);

export const ADMIN_SHARED_SCHEMAS = [
  AdminStatementSchema,
  AdminStatementListSchema,
  AdminOrganisationSchema,
  AdminPageSchema,
];
