/** A member organisation of the network. */
export interface Organisation {
  id: number;
  slug: string;
  name: string;
  country: string;
  website: string | null;
  language: string;
  descriptionMd: string;
  descriptionHtml: string;
  updatedAt: Date;
}

/** What is written for an organisation, by slug. */
export interface OrganisationInput {
  slug: string;
  name: string;
  country: string;
  website: string | null;
  language: string;
  descriptionMd: string;
}

/** The part of an organisation shown beside a statement it signed. */
export interface OrganisationSummary {
  id: number;
  slug: string;
  name: string;
  country: string;
}
