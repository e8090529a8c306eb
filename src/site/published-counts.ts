// Far more than the periods and organisations a site has; a crawler asking for every year cannot grow it without bound.
const CAPACITY = 5000;

/**
 * Counts of published statements for one content version and language, each read once: at
 * 100,000 statements recounting them made the archive's cold render take 100 ms.
 */
export class PublishedCounts {
  readonly #counts = new Map<string, Promise<number>>();

  get(key: string, count: () => Promise<number>): Promise<number> {
    let value = this.#counts.get(key);
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
