-- schema.sql: the tables of data/results.duckdb. docs/results.md describes every column.
--
-- specbias runs this file whenever it opens the database read-write. Every table is keyed
-- by run_id, and a run's rows are replaced as a whole. The database is derived data: it is
-- rebuilt from runs/*/manifest.json and the artifacts (`specbias db rebuild`), and a file
-- whose tables do not have exactly these columns is moved aside and rebuilt.

-- One row per run. status is 'completed' or 'failed'; error is the failure's one line.
-- started_at and finished_at belong to the run that computed the results; a later run of
-- the same spec that found every step cached counts in reruns and last_rerun_at.
CREATE TABLE IF NOT EXISTS runs (
  run_id VARCHAR PRIMARY KEY, name VARCHAR, spec_hash VARCHAR, spec JSON, sweep_id VARCHAR, status VARCHAR,
  engine VARCHAR, backend VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP, code_version VARCHAR,
  error VARCHAR, reruns INTEGER, last_rerun_at TIMESTAMP);

CREATE TABLE IF NOT EXISTS spectrum (
  run_id VARCHAR, degree INTEGER, mu DOUBLE, multiplicity DOUBLE, numerical_zero BOOLEAN, theory_rate DOUBLE);

CREATE TABLE IF NOT EXISTS gram_eigenvalues (
  run_id VARCHAR, idx INTEGER, eigenvalue DOUBLE, cluster INTEGER, purity DOUBLE);

CREATE TABLE IF NOT EXISTS ntk_check (
  run_id VARCHAR, width INTEGER, n_points INTEGER, rel_error DOUBLE);

-- Per target degree: the empirical NTK at init against the analytic Gram along the unit target part.
CREATE TABLE IF NOT EXISTS ntk_directions (
  run_id VARCHAR, degree INTEGER, n_points INTEGER, rel_diff DOUBLE);

CREATE TABLE IF NOT EXISTS losses (
  run_id VARCHAR, split VARCHAR, step INTEGER, loss DOUBLE);

CREATE TABLE IF NOT EXISTS projections (
  run_id VARCHAR, split VARCHAR, step INTEGER, degree INTEGER, kind VARCHAR, source VARCHAR, value DOUBLE);

-- Filled by sql/rates.sql.
CREATE TABLE IF NOT EXISTS rates (
  run_id VARCHAR, split VARCHAR, kind VARCHAR, degree INTEGER, fitted_rate DOUBLE, theory_rate DOUBLE,
  kernel_rate DOUBLE, init_kernel_rate DOUBLE, ratio DOUBLE, r2 DOUBLE, stderr DOUBLE, fit_intercept DOUBLE,
  window_start INTEGER, window_end INTEGER, n_points INTEGER, note VARCHAR);
