/** Run the `tlsprop` command line in-process and collect what it prints. */
import { main } from '../../cli/main';

export async function tlsprop(args: string[], stdin = ''): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (s) => out.push(s), err: (s) => err.push(s), readStdin: async () => stdin });
  return { code, out, err };
}
