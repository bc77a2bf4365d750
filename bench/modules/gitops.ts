import type { BenchModule } from '../harness/types';
/** placeholder */
export const gitopsModule: BenchModule = { name: 'gitops', description: 'todo', async run() { return { rows: [] }; } };
