/**
 * Reading a spec file (YAML or JSON) and applying `--set path=value` overrides.
 *
 *   const spec = await loadSpec('pipelines/quickstart.yaml', ['model.width=1024']);
 */
import { readFile, stat } from 'node:fs/promises';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { parseSpec, SpecError, type PipelineSpec } from './schema.js';
import { badPathReason, setPath } from './grid.js';

/**
 * Largest spec file read, in bytes. A spec with a 10,000-point grid fits in well under this;
 * a larger file would only exhaust memory in the YAML parser.
 */
export const MAX_SPEC_BYTES = 4 * 1024 * 1024;

/** Most aliases a spec may use (YAML's default of 100): an alias bomb expands exponentially. */
const MAX_ALIASES = 100;

/** Parse the text of a spec file; JSON is YAML, so one parser serves both. */
export function parseSpecText(text: string, file: string): unknown {
  if (text.trim() === '') throw new SpecError('', 'the file is empty; a spec needs at least a name', file);
  if (text.length > MAX_SPEC_BYTES) throw tooLarge(text.length, file);
  try {
    return parseYaml(text, { uniqueKeys: true, maxAliasCount: MAX_ALIASES });
  } catch (err) {
    if (err instanceof YAMLParseError) {
      const where = err.linePos?.[0] ? ` (line ${err.linePos[0].line}, column ${err.linePos[0].col})` : '';
      throw new SpecError('', `malformed YAML/JSON${where}: ${err.message.split('\n')[0]}`, file);
    }
    if (err instanceof ReferenceError && /alias/i.test(err.message)) {
      throw new SpecError(
        '',
        `refused: YAML aliases expand to too much data (more than ${MAX_ALIASES} alias uses); write the values out`,
        file,
      );
    }
    if (err instanceof RangeError)
      throw new SpecError('', `refused: the YAML is too deeply nested or too large to parse (${err.message})`, file);
    throw err;
  }
}

function tooLarge(bytes: number, file: string): SpecError {
  return new SpecError(
    '',
    `the file has ${bytes} bytes, more than the limit of ${MAX_SPEC_BYTES}; a spec, grid included, is far smaller`,
    file,
  );
}

/**
 * Apply one override `a.b.c=value` in place. The value is parsed as JSON where it parses
 * (`1024`, `true`, `[1,2]`, `{"kind":"uniform"}`), else taken as a string.
 */
export function applyOverride(raw: Record<string, unknown>, assignment: string): void {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new SpecError('', `--set expects path=value, got "${assignment}"`);
  const path = assignment.slice(0, eq).split('.');
  const bad = badPathReason(path.join('.'));
  if (bad) throw new SpecError(path.join('.'), `--set path ${bad}`);
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
    node = node !== null && typeof node === 'object' && Object.hasOwn(node, key) ? (node as Record<string, unknown>)[key] : undefined;
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
    const { size } = await stat(file);
    if (size > MAX_SPEC_BYTES) throw tooLarge(size, file);
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof SpecError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new SpecError(
      '',
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a spec file' : `cannot read (${code})`,
      file,
    );
  }
  const raw = parseSpecText(text, file);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return parseSpec(raw, file);
  for (const o of overrides) applyOverride(raw as Record<string, unknown>, o);
  return parseSpec(raw, file);
}
