export type { Organisation, OrganisationInput, OrganisationSummary } from './organisation.ts';
export {
  findOrganisationBySlug,
  listOrganisations,
  type UpsertOutcome,
  upsertOrganisation,
} from './organisation-repository.ts';
