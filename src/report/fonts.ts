/**
 * Fonts for the PNG figures. resvg draws text only with a font it has loaded;
 * with none, every title and axis label silently disappears from the PNG (the
 * SVG keeps its text, as the viewer brings its own fonts).
 *
 * ```ts
 * const fonts = resolveFonts();          // once per process
 * new Resvg(svg, { font: fonts.resvg }); // loads system fonts plus any file found below
 * if (!fonts.textRenders) say(fonts.hint);
 * ```
 *
 * Order: the file named by `SPECBIAS_FONT` (a .ttf/.otf), then well-known
 * locations of DejaVu Sans, Liberation Sans and Arial (Debian/Ubuntu
 * `fonts-dejavu-core`, Fedora, Arch, macOS, Windows), on top of resvg's own
 * scan of the system font folders. Whether text really renders is checked once
 * by drawing a word and counting its pixels.
 */

import { existsSync } from 'node:fs';
import { Resvg, type ResvgRenderOptions } from '@resvg/resvg-js';

/** The CSS font-family the figures ask for; the SVG names them all, so any viewer finds one. */
export const FONT_FAMILY = "'DejaVu Sans', 'Liberation Sans', Arial, Helvetica, sans-serif";

/** Known font files and the family each provides. */
const KNOWN_FONT_FILES: readonly (readonly [file: string, family: string])[] = [
  ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', 'DejaVu Sans'], // Debian, Ubuntu: fonts-dejavu-core
  ['/usr/share/fonts/dejavu/DejaVuSans.ttf', 'DejaVu Sans'], // Fedora, RHEL
  ['/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf', 'DejaVu Sans'], // Fedora, newer
  ['/usr/share/fonts/TTF/DejaVuSans.ttf', 'DejaVu Sans'], // Arch
  ['/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf', 'Liberation Sans'],
  ['/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf', 'Liberation Sans'],
  ['/System/Library/Fonts/Supplemental/Arial.ttf', 'Arial'], // macOS
  ['/Library/Fonts/Arial.ttf', 'Arial'],
  ['C:\\Windows\\Fonts\\arial.ttf', 'Arial'],
];

export interface ResolvedFonts {
  /** The `font` option for resvg. */
  resvg: NonNullable<ResvgRenderOptions['font']>;
  /** Font files loaded explicitly (besides the system scan). */
  files: string[];
  /** The family text falls back to. */
  family: string;
  /** Whether a test word rendered to visible pixels. */
  textRenders: boolean;
  /** How to fix it when it does not. */
  hint: string;
}

let cached: ResolvedFonts | undefined;

/** Finds fonts once per process (see the module comment); `env` is for tests. */
export function resolveFonts(env: NodeJS.ProcessEnv = process.env): ResolvedFonts {
  if (cached && env === process.env) return cached;
  const files: string[] = [];
  let family: string | undefined;
  const custom = env.SPECBIAS_FONT;
  if (custom && existsSync(custom)) files.push(custom);
  for (const [file, fileFamily] of KNOWN_FONT_FILES) {
    if (!existsSync(file)) continue;
    files.push(file);
    family ??= fileFamily;
  }
  // A custom font's family is unknown here; resvg's default family is the first loaded font then.
  const resvg: ResolvedFonts['resvg'] = {
    loadSystemFonts: true,
    fontFiles: files,
    ...(family && !custom ? { defaultFontFamily: family, sansSerifFamily: family } : {}),
  };
  const resolved: ResolvedFonts = {
    resvg,
    files,
    family: family ?? 'sans-serif',
    textRenders: textRenders(resvg),
    hint:
      'no font found for the text of PNG figures (titles and labels will be missing); ' +
      'install one (Debian/Ubuntu: apt-get install fonts-dejavu-core) or set SPECBIAS_FONT=/path/to/font.ttf',
  };
  if (env === process.env) cached = resolved;
  return resolved;
}

/** Draws a black word on white and reports whether any pixel came out dark. */
function textRenders(font: ResolvedFonts['resvg']): boolean {
  const svg =
    '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40">' +
    '<rect width="120" height="40" fill="white"/>' +
    `<text x="4" y="28" font-size="24" font-family="${FONT_FAMILY}" fill="black">Rate</text></svg>`;
  try {
    const pixels = new Resvg(svg, { font }).render().pixels;
    for (let i = 0; i < pixels.length; i += 4) if (pixels[i]! < 128) return true;
    return false;
  } catch {
    return false;
  }
}
