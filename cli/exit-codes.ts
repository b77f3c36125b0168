/**
 * Exit codes scripts can branch on (documented in cli/README.md), and the error type that carries
 * one. Anything else thrown is a bug in the CLI and exits 1 with its message.
 */

export const EXIT = {
  ok: 0,
  usage: 1,
  rejected: 2,
  environmentFailed: 3,
  unavailable: 4,
  timedOut: 5,
  /** 128 + SIGINT, what shells report for a Ctrl-C. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI explains itself: `lines` go to stderr as they are, then the process exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    readonly lines: string[],
  ) {
    super(lines.join('\n'));
    this.name = 'CliError';
  }
}

/** Bad flags, missing configuration, unreadable files: the request never left this machine. */
export function usageError(...lines: string[]): CliError {
  return new CliError(EXIT.usage, lines);
}
