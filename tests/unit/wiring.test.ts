/**
 * shared/wiring builds the real adapters and is imported by handlers and steps only: a library that
 * reached into it would build AWS clients of its own and pull them into every bundle that imports it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const SHARED = join(ROOT, 'shared');

function typeScriptFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return typeScriptFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The relative module specifiers a file imports or re-exports. */
function importsOf(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  return [...source.matchAll(/(?:^|\n)\s*(?:import|export)[^'";]*?from\s+'(\.[^']+)'/g)].flatMap((match) =>
    match[1] === undefined ? [] : [match[1]],
  );
}

describe('shared/wiring', () => {
  it('is imported by no module of shared/ outside it', () => {
    // Prepare
    const libraries = typeScriptFiles(SHARED).filter((file) => !file.startsWith(join(SHARED, 'wiring')));

    // Act
    const offenders = libraries.flatMap((file) =>
      importsOf(file)
        .filter((specifier) => /(^|\/)wiring(\/|$)/.test(specifier))
        .map((specifier) => `${relative(ROOT, file)} imports ${specifier}`),
    );

    // Assess
    expect(libraries.length).toBeGreaterThan(50);
    expect(offenders).toEqual([]);
  });
});
