/** The `?page=` value: absent means 1; anything but a whole number from 1 up is refused (null). */
export function parsePageNumber(raw: unknown): number | null {
  if (raw === undefined) return 1;
  if (typeof raw !== 'string' || !/^[0-9]{1,7}$/.test(raw)) return null;
  const page = Number(raw);
  return page >= 1 ? page : null;
}

export interface Pagination {
  current: number;
  pages: number;
  newer: string | null;
  older: string | null;
  label: string;
}

/** Newer/Older links for a listing at `basePath`; page 1 is the bare path. */
export function paginate(
  basePath: string,
  current: number,
  total: number,
  perPage: number,
  label: string,
): Pagination {
  const pages = Math.max(1, Math.ceil(total / perPage));
  const link = (page: number) => (page === 1 ? basePath : `${basePath}?page=${page}`);
  return {
    current,
    pages,
    newer: current > 1 ? link(current - 1) : null,
    older: current < pages ? link(current + 1) : null,
    label,
  };
}
