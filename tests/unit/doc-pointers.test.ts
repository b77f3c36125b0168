/**
 * Comments point only at documents in the repository: a pointer to a file that is not here (a design
 * note, an issue tracker, a brief) tells a newcomer nothing they can check. Every `*.md` that code
 * under shared/, functions/, infra/, local/, the packages' sources, cli/ and scripts/ names must exist, and every `docs/aws-facts.md#section` must be one of
 * that file's headings.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '../..');
const SCANNED = [
  'shared',
  'functions',
  'infra',
  'local',
  'packages/aws-sim/src',
  'packages/sfn-local/src',
  'cli',
  'scripts',
];

function sourceFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((entry) => {
    const full = path.join(directory, entry);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return /\.(ts|js)$/.test(full) ? [full] : [];
  });
}

/** GitHub's anchor of a Markdown heading: lower case, punctuation dropped, spaces as hyphens. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} -]/gu, '')
    .replaceAll(' ', '-');
}

const files = SCANNED.flatMap((folder) => sourceFiles(path.join(ROOT, folder)));
const pointers = files.flatMap((file) =>
  [...readFileSync(file, 'utf8').matchAll(/([\w./-]+\.md)(#[\w-]+)?/g)].map((match) => ({
    file: path.relative(ROOT, file),
    document: match[1] ?? '',
    anchor: match[2]?.slice(1),
  })),
);

describe('pointers from code to documents', () => {
  it('finds the pointers (a scan that finds none would pass everything)', () => {
    // Prepare / Act: the scan above. Assess
    expect(pointers.some((pointer) => pointer.document === 'docs/aws-facts.md')).toBe(true);
  });

  it('names only documents that are in the repository', () => {
    // Prepare
    const exists = (document: string) => {
      try {
        return statSync(path.join(ROOT, document)).isFile();
      } catch {
        return false;
      }
    };
    // Act
    const dangling = pointers.filter((pointer) => !exists(pointer.document));
    // Assess
    expect(dangling).toEqual([]);
  });

  it('links only sections that docs/aws-facts.md has', () => {
    // Prepare
    const headings = readFileSync(path.join(ROOT, 'docs/aws-facts.md'), 'utf8')
      .split('\n')
      .flatMap((line) => (line.startsWith('## ') ? [anchorOf(line.slice(3))] : []));
    // Act
    const missing = pointers.filter(
      (pointer) =>
        pointer.document === 'docs/aws-facts.md' &&
        (pointer.anchor === undefined || !headings.includes(pointer.anchor)),
    );
    // Assess
    expect(missing).toEqual([]);
  });
});
