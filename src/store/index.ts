/**
 * The store: content-addressed Arrow artifacts with atomic writes and
 * checksums, and the DuckDB results database.
 *
 * ```ts
 * import { ArtifactStore, contentKey, withResultsDb } from '../store/index.js';
 *
 * const store = await ArtifactStore.create('./data');
 * const key = contentKey({ step: 'spectrum', version: 1, params, upstream: [] });
 * const ref = (await store.find('spectrum', key, 'spectrum.arrow')) ?? (await store.writeTable('spectrum', key, 'spectrum.arrow', table));
 * await withResultsDb(`${store.root}/results.duckdb`, {}, (db) => db.fitRates(runId));
 * ```
 */

export { canonicalJson, contentKey, sha256Hex } from './canonical-json.js';
export { writeFileAtomic, writeJsonAtomic } from './atomic-file.js';
export {
  listRunManifests,
  manifestPath,
  readRunManifest,
  runRecord,
  runRowFromManifest,
  type RerunRecord,
  type RunManifest,
  type RunTiming,
} from './run-manifest.js';
export { ensureWritableDataRoot } from './data-root.js';
export { ArtifactStore, type ArtifactMeta, type ArtifactRef, type ArtifactStoreOptions, type StoreLogger } from './artifact-store.js';
export {
  ResultsDb,
  describeRebuild,
  readRatesSql,
  ratesSqlPath,
  readSchemaSql,
  schemaSqlPath,
  rebuildResultsDb,
  withResultsDb,
  type RebuildSummary,
  type IngestRunInput,
  type QueryParams,
  type RateRow,
  type ResultsDbOptions,
  type RunRow,
} from './results-db.js';
export {
  ArtifactCorruptError,
  ArtifactMissingError,
  ArtifactPathError,
  CanonicalJsonError,
  DataRootAccessError,
  ResultsCorruptError,
  ResultsLockedError,
  ResultsMissingError,
  TableSchemaError,
} from './errors.js';
