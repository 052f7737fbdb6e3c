export async function runBenchmarks(_o: { events: number; runs: number }): Promise<void> { throw new Error('not yet'); }
