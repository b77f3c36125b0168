/**
 * What every benchmark section produces: rows of figure / measured / baseline / ratio / target, the
 * machine they were measured on, and the Markdown that replaces the section's part of BENCHMARKS.md
 * (between `<!-- bench:<section>:start -->` and `<!-- bench:<section>:end -->`), so a run of one
 * section leaves the others' figures alone.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

export interface Row {
  figure: string;
  /** Already formatted with its unit. */
  measured: string;
  baseline?: string;
  /** measured / baseline, when both are numbers of the same unit. */
  ratio?: number;
  target?: string;
  /** undefined: no target for this figure (informational). */
  met?: boolean;
}

export interface SectionResult {
  name: string;
  title: string;
  command: string;
  startedAt: Date;
  durationMs: number;
  rows: Row[];
  /** Free text under the table: how the baseline was found, what was missed and why, noise. */
  notes: string[];
}

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  commit: string;
  dirty: boolean;
}

export function describeMachine(): Machine {
  const git = (...args: string[]) => {
    try {
      return execFileSync('git', args, { encoding: 'utf8' }).trim();
    } catch {
      return '';
    }
  };
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    commit: git('rev-parse', '--short', 'HEAD') || 'unknown',
    dirty: git('status', '--porcelain') !== '',
  };
}

export function formatMachine(machine: Machine): string {
  const tree = `${machine.commit}${machine.dirty ? ' + uncommitted changes' : ''}`;
  return `nproc ${machine.cpus} (${machine.cpuModel}), ${machine.memoryGb} GB memory, Node ${machine.node}, commit ${tree}`;
}

export function ratioOf(measured: number, baseline: number): number | undefined {
  return baseline > 0 && Number.isFinite(measured) ? measured / baseline : undefined;
}

function yesNo(met: boolean | undefined): string {
  if (met === undefined) return '—';
  return met ? 'yes' : '**no**';
}

function escapeCell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

export function renderMarkdown(result: SectionResult, machine: Machine): string {
  const lines = [
    `### ${result.title}`,
    '',
    `Measured ${result.startedAt.toISOString().replace(/\.\d+Z$/, 'Z')} by \`${result.command}\` ` +
      `in ${(result.durationMs / 1000).toFixed(0)} s on ${formatMachine(machine)}.`,
    '',
    '| figure | measured | baseline (same run) | ratio | target | met? |',
    '|---|---|---|---|---|---|',
    ...result.rows.map(
      (row) =>
        `| ${escapeCell(row.figure)} | ${escapeCell(row.measured)} | ${escapeCell(row.baseline ?? '—')} | ` +
        `${row.ratio === undefined ? '—' : `${row.ratio.toFixed(2)}×`} | ${escapeCell(row.target ?? '—')} | ${yesNo(row.met)} |`,
    ),
  ];
  if (result.notes.length > 0) lines.push('', ...result.notes.map((note) => `- ${note}`));
  return lines.join('\n');
}

/** A plain-text table for the terminal. */
export function renderConsole(result: SectionResult): string {
  const header = ['figure', 'measured', 'baseline', 'ratio', 'target', 'met?'];
  const body = result.rows.map((row) => [
    row.figure,
    row.measured,
    row.baseline ?? '—',
    row.ratio === undefined ? '—' : `${row.ratio.toFixed(2)}x`,
    row.target ?? '—',
    row.met === undefined ? '—' : row.met ? 'yes' : 'NO',
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...body.map((cells) => (cells[column] ?? '').length)),
  );
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ');
  return [
    `== ${result.title} (${(result.durationMs / 1000).toFixed(0)} s)`,
    line(header),
    ...body.map(line),
    ...result.notes.map((note) => `  * ${note}`),
  ].join('\n');
}

/** Replaces the section's marked block in the file (appending it when the markers are missing). */
export function rewriteSection(path: string, section: string, markdown: string): void {
  const start = `<!-- bench:${section}:start -->`;
  const end = `<!-- bench:${section}:end -->`;
  const block = `${start}\n${markdown}\n${end}`;
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  const next =
    from >= 0 && to > from
      ? text.slice(0, from) + block + text.slice(to + end.length)
      : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(path, next);
}
