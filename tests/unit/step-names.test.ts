/**
 * A step's progress name is its file's name: the API shows `progress.currentStep`, and someone
 * reading `services-stable` there must find functions/steps/services-stable.ts. Read from the source
 * (the TypeScript parser, not a regex), because importing a step module would open DynamoDB clients.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const STEPS = path.join(__dirname, '../../functions/steps');

/** The literal a `name:` initializer stands for: a string, or a const of this file holding one. */
function literalOf(source: ts.SourceFile, initializer: ts.Expression): string | undefined {
  if (ts.isStringLiteralLike(initializer)) return initializer.text;
  if (!ts.isIdentifier(initializer)) return undefined;
  let found: string | undefined;
  source.forEachChild(function visit(node) {
    if (
      ts.isVariableDeclaration(node) &&
      ts.isIdentifier(node.name) &&
      node.name.text === initializer.text &&
      node.initializer &&
      ts.isStringLiteralLike(node.initializer)
    ) {
      found = node.initializer.text;
    }
    node.forEachChild(visit);
  });
  return found;
}

/** The `name` of every `defineStep({ name, … })` in a file; `null` for one that is not a literal. */
function stepNamesIn(file: string): (string | null)[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: (string | null)[] = [];
  source.forEachChild(function visit(node) {
    if (
      ts.isCallExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'defineStep'
    ) {
      const [definition] = node.arguments;
      const property =
        definition && ts.isObjectLiteralExpression(definition)
          ? definition.properties.find(
              (candidate): candidate is ts.PropertyAssignment =>
                ts.isPropertyAssignment(candidate) &&
                ts.isIdentifier(candidate.name) &&
                candidate.name.text === 'name',
            )
          : undefined;
      found.push((property && literalOf(source, property.initializer)) ?? null);
    }
    node.forEachChild(visit);
  });
  return found;
}

const stepFiles = readdirSync(STEPS)
  .filter((file) => file.endsWith('.ts'))
  .map((file) => ({ file, names: stepNamesIn(path.join(STEPS, file)) }))
  .filter(({ names }) => names.length > 0);

describe('workflow step names', () => {
  it('finds the steps (a parser that finds none would pass everything)', () => {
    // Prepare / Act: the files above. Assess
    expect(stepFiles.length).toBeGreaterThanOrEqual(10);
  });

  it.each(stepFiles)('$file reports progress under its own file name', ({ file, names }) => {
    // Prepare
    const expected = path.basename(file, '.ts');
    // Act: names read above.
    // Assess
    expect(names).toEqual([expected]);
  });
});
