/**
 * Markdown building blocks for report.md: tables, code blocks, embedded
 * figures. Pure string functions.
 *
 * ```ts
 * markdownTable(['degree', 'rate'], [['1', '0.37']], ['r', 'r']);
 * codeBlock('yaml', stringify(spec));
 * figureBlock(figure); // PNG embedded, SVG linked, caption below
 * ```
 */

import type { Figure } from './figure.js';

/** A table cell: pipes escaped, line breaks folded, so a cell never breaks the table. */
export function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** A GitHub-flavoured table; `align` per column, 'l' by default. */
export function markdownTable(header: string[], rows: string[][], align: ('l' | 'r')[] = []): string {
  const rule = header.map((_, j) => (align[j] === 'r' ? '---:' : '---'));
  const line = (cells: string[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [line(header), `| ${rule.join(' | ')} |`, ...rows.map(line)].join('\n');
}

/** A fenced code block whose fence is longer than any run of backticks inside. */
export function codeBlock(language: string, text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${language}\n${text.replace(/\n$/, '')}\n${fence}`;
}

/** A figure: heading, the PNG embedded by a relative link, the SVG linked, the caption. */
export function figureBlock(figure: Figure, level = 3): string {
  return [
    `${'#'.repeat(level)} ${figure.heading}`,
    '',
    `![${figure.heading}](${figure.name}.png)`,
    '',
    `${figure.caption} ([SVG](${figure.name}.svg))`,
  ].join('\n');
}
