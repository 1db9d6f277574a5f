/**
 * Reading a spec file (YAML or JSON) and applying `--set path=value` overrides.
 *
 *   const spec = await loadSpec('pipelines/quickstart.yaml', ['model.width=1024']);
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { parseSpec, SpecError, type PipelineSpec } from './schema.js';
import { setPath } from './sweep.js';

/** Parse the text of a spec file; JSON is YAML, so one parser serves both. */
export function parseSpecText(text: string, file: string): unknown {
  if (text.trim() === '') throw new SpecError('', 'the file is empty; a spec needs at least a name', file);
  try {
    return parseYaml(text, { uniqueKeys: true });
  } catch (err) {
    if (err instanceof YAMLParseError) {
      const where = err.linePos?.[0] ? ` (line ${err.linePos[0].line}, column ${err.linePos[0].col})` : '';
      throw new SpecError('', `malformed YAML/JSON${where}: ${err.message.split('\n')[0]}`, file);
    }
    throw err;
  }
}

/**
 * Apply one override `a.b.c=value` in place. The value is parsed as JSON where it parses
 * (`1024`, `true`, `[1,2]`, `{"kind":"uniform"}`), else taken as a string.
 */
export function applyOverride(raw: Record<string, unknown>, assignment: string): void {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new SpecError('', `--set expects path=value, got "${assignment}"`);
  const path = assignment.slice(0, eq).split('.');
  const text = assignment.slice(eq + 1);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = text;
  }
  // Refuse to overwrite a value on the way down; setPath would replace it with a mapping.
  let node: unknown = raw;
  for (const key of path.slice(0, -1)) {
    if (!key) throw new SpecError(path.join('.'), 'empty path segment in --set');
    node = (node as Record<string, unknown> | undefined)?.[key];
    if (node !== undefined && (node === null || typeof node !== 'object' || Array.isArray(node))) {
      throw new SpecError(path.join('.'), `--set cannot descend into ${key}, which is not a mapping`);
    }
  }
  setPath(raw, path.join('.'), value);
}

/** Load, override, validate. Errors are {@link SpecError}s that name the file and field. */
export async function loadSpec(file: string, overrides: string[] = []): Promise<PipelineSpec> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SpecError('', code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a spec file' : `cannot read (${code})`, file);
  }
  const raw = parseSpecText(text, file);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return parseSpec(raw, file);
  for (const o of overrides) applyOverride(raw as Record<string, unknown>, o);
  return parseSpec(raw, file);
}
