/**
 * Reads an environment request or patch from a .json, .yml or .yaml file (or `-` for stdin). The
 * CLI does not validate the content: the API does, and answers with field paths (exit 2).
 */
import { extname } from 'node:path';
import { parseDocument } from 'yaml';
import { usageError } from './exit-codes';

export async function readDocument(
  path: string,
  readText: (path: string) => Promise<string>,
): Promise<unknown> {
  let text: string;
  try {
    text = await readText(path);
  } catch (error) {
    const code =
      typeof error === 'object' && error !== null && 'code' in error ? ` (${String(error.code)})` : '';
    throw usageError(`Cannot read ${path === '-' ? 'standard input' : path}${code}`);
  }
  return parseDocumentText(text, path);
}

/** JSON for .json; YAML otherwise (YAML 1.2 also reads JSON, so stdin may be either). */
export function parseDocumentText(text: string, path: string): unknown {
  if (extname(path).toLowerCase() === '.json') {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw usageError(
        `${path} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  const document = parseDocument(text, { prettyErrors: true });
  const [first] = document.errors;
  if (first !== undefined) throw usageError(`${path} is not valid YAML: ${first.message}`);
  const value: unknown = document.toJS();
  if (value === null || value === undefined) throw usageError(`${path} is empty`);
  return value;
}
