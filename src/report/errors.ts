/**
 * Failure kinds of `specbias report`: one class per kind, carrying the
 * offending value and building its message from it.
 *
 * ```ts
 * try { await writeReport({ dataRoot, id }); }
 * catch (err) { if (err instanceof ReportTargetError) console.error(err.id); }
 * ```
 */

/** No run and no sweep has the id, nor an id starting with it. */
export class ReportTargetError extends Error {
  override readonly name = 'ReportTargetError';
  constructor(
    readonly id: string,
    /** The results database searched, as shown to the user. */
    readonly database: string,
  ) {
    super(`no run or sweep "${id}" in ${database}; list the runs with: specbias status`);
  }
}

/** A prefix that starts more than one run or sweep id. */
export class AmbiguousReportTargetError extends Error {
  override readonly name = 'AmbiguousReportTargetError';
  constructor(
    readonly id: string,
    readonly matches: readonly string[],
  ) {
    const shown = matches.slice(0, 5).join(', ') + (matches.length > 5 ? `, and ${matches.length - 5} more` : '');
    super(`"${id}" starts ${matches.length} run and sweep ids (${shown}); give more of the id`);
  }
}
