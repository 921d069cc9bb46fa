/**
 * Runs `work` over every item with at most `limit` in flight, and waits for all of them. All items run even when
 * one fails, so a rerun has less to do; the first failure is thrown (or an AggregateError for several).
 */
export async function mapBounded<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  const errors: unknown[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      try {
        results[index] = await work(items[index]!);
      } catch (error) {
        errors.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw aggregate(errors);
  return results;
}

/**
 * Several failures as one, with their hints; when all say the same kind of thing (bad input, a conflict) the exit
 * code says it too.
 */
function aggregate(errors: unknown[]): AggregateError {
  const combined = new AggregateError(errors, errors.map((error) => (error as Error).message ?? error).join('; '));
  const codes = new Set(errors.map((error) => (error as { exitCode?: number }).exitCode));
  const hints = new Set(errors.flatMap((error) => (error as { hint?: string }).hint ?? []));
  return Object.assign(combined, codes.size === 1 ? { exitCode: [...codes][0] } : {}, hints.size > 0 ? { hint: [...hints].join('; ') } : {});
}
