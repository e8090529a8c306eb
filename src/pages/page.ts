/** A static page such as "About the network". */
export interface Page {
  id: number;
  slug: string;
  title: string;
  bodyMd: string;
  bodyHtml: string;
  updatedAt: Date;
}

export interface PageInput {
  slug: string;
  title: string;
  bodyMd: string;
}
