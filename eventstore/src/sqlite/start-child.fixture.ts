import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const fixture = fileURLToPath(new URL('./sqlite-child.fixture.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

type Child = ChildProcessByStdio<null, Readable, Readable>;

/** Runs `node <args>` in a separate process from the repository root, collecting its stdout lines. */
export function startNode(args: string[]) {
  const child: Child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const kill9 = async () => {
    child.kill('SIGKILL');
    await exited;
  };
  return { child, lines, exited, kill9, stderr: () => stderr };
}

/** Runs sqlite-child.fixture.ts (from source, through tsx) in a mode of its own on `file`. */
export function startChild(mode: string, file: string) {
  return startNode(['--import', 'tsx', fixture, mode, file]);
}
