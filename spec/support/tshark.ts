/** Whether tshark is installed (specs that read a saved capture back skip without it). */
import { execFileSync } from 'node:child_process';

export function tsharkInstalled(): boolean {
  try {
    execFileSync('tshark', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
