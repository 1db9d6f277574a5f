// The specbias CLI as the reproduce script calls it: one child process per command, on one data
// root, its JSON output parsed; and the copying of a report's figures next to docs/reproduction.md.
import { spawnSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';

/** A function running `specbias ARGS --data DATA [--json]` and returning its parsed JSON (or its stdout when json is false). */
export function specbiasCli(bin, data) {
  return function specbias(args, { json = true } = {}) {
    const r = spawnSync(process.execPath, [bin, ...args, '--data', data, ...(json ? ['--json'] : [])], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 28,
    });
    if (r.status !== 0) throw new Error(`specbias ${args.join(' ')} exited ${r.status}`);
    return json ? JSON.parse(r.stdout) : r.stdout;
  };
}

/**
 * Writes the report of run or sweep `id` under <data>/reports/reproduce-<prefix>, copies the
 * figures whose path matches `keep` into figDir as <prefix>-<file>, and returns their names.
 */
export function copyReportFigures(specbias, data, figDir, id, keep, prefix) {
  const written = specbias(['report', id, '--out', join(data, 'reports', `reproduce-${prefix}`)]);
  const names = [];
  for (const f of written.files.filter((f) => keep.test(f.path))) {
    const name = `${prefix}-${f.path.split('/').at(-1)}`;
    cpSync(f.path, join(figDir, name));
    names.push(name);
  }
  return names;
}

/** Replaces the section of reproduction.md that starts with the line section[0] (to the next "## " or the end), or appends it. */
export function spliceSection(text, section) {
  const lines = text.split('\n');
  const start = lines.indexOf(section[0]);
  if (start < 0) return [...lines, ...section].join('\n');
  let end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  if (end < 0) end = lines.length;
  return [...lines.slice(0, start), ...section, ...lines.slice(end)].join('\n');
}
