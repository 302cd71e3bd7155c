// Runs the edgelake-rt CLI from its TypeScript sources as a child process (no build needed):
// `node --import tsx main/cli/main.ts <args>`, with the repository as the working directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../', import.meta.url));
const MAIN = 'main/cli/main.ts';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs one CLI command to its end (killed after `timeoutMs`). */
export function runCli(args: string[], timeoutMs = 30_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      cwd: REPO,
      env: { ...process.env, EDGELAKE_RT_LOG: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => (clearTimeout(timer), reject(err)));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when stdout matches; rejects if the process ends first or the time passes. */
  waitForStdout(re: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit status (signal as null code) when the process ends, within `timeoutMs`. */
  exited(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts a long-running CLI command (`start`), with `env` added to this process's environment. The caller ends it;
 * `t.after` should kill it as a backstop.
 */
export function startCli(args: string[], env: Record<string, string> = {}): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: REPO,
    env: { ...process.env, EDGELAKE_RT_LOG: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let status: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitWaiters: (() => void)[] = [];
  const outWaiters: (() => void)[] = [];
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    for (const w of outWaiters.splice(0)) w();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  child.on('exit', (code, signal) => {
    status = { code, signal };
    for (const w of exitWaiters.splice(0)) w();
    for (const w of outWaiters.splice(0)) w();
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    async waitForStdout(re, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!re.test(out)) {
        if (status) throw new Error(`process ended (${JSON.stringify(status)}) before ${re}; stderr:\n${err}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no ${re} on stdout within ${timeoutMs} ms; stderr:\n${err}`);
        await new Promise<void>((r) => {
          const t = setTimeout(r, left);
          outWaiters.push(() => (clearTimeout(t), r()));
        });
      }
    },
    async exited(timeoutMs = 20_000) {
      if (!status) {
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error(`process still running after ${timeoutMs} ms`)), timeoutMs);
          exitWaiters.push(() => (clearTimeout(t), resolve()));
        });
      }
      return status!;
    },
  };
}
