/** Builds the console into web/dist when it is missing or older than its sources. */
export function buildWebIfNeeded(opts?: { root?: string }): Promise<void>;
