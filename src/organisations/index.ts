export type { Organisation, OrganisationInput, OrganisationSummary } from './organisation.ts';
export {
  findOrganisationById,
  findOrganisationBySlug,
  findOrganisationsByIds,
  listOrganisations,
  type UpsertOutcome,
  upsertOrganisation,
} from './organisation-repository.ts';
export {
  COUNTRY_CODES,
  countryOptions,
  countStatementsSignedBy,
  createOrganisation,
  deleteOrganisation,
  englishCountryName,
  isCountryCode,
  listOrganisationsForAdmin,
  type OrganisationDraft,
  type OrganisationEditor,
  OrganisationForbiddenError,
  OrganisationInputError,
  OrganisationInUseError,
  type OrganisationListRow,
  OrganisationNotFoundError,
  organisationSlugFromName,
  updateOrganisation,
} from './organisation-service.ts';
