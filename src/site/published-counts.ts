// Far more than the periods and organisations a site has; a crawler asking for every year cannot grow it without bound.
const CAPACITY = 5000;

/**
 * Counts of published statements for one content version and language (a count, or a page's
 * list of them), and a listing's checkpoints, each read once per version.
 */
export class PublishedCounts {
  readonly #counts = new Map<string, Promise<unknown>>();

  get<Count>(key: string, count: () => Promise<Count>): Promise<Count> {
    let value = this.#counts.get(key) as Promise<Count> | undefined;
    if (value === undefined) {
      if (this.#counts.size >= CAPACITY) this.#counts.clear();
      const counting = count();
      value = counting;
      this.#counts.set(key, counting);
      counting.catch(() => {
        if (this.#counts.get(key) === counting) this.#counts.delete(key);
      });
    }
    return value;
  }
}
