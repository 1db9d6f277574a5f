-- views.sql: the views of data/results.duckdb, for reading results without repeating joins.
--
-- specbias runs this file whenever it opens the database read-write (after creating the
-- tables), so the views always match the code that last wrote the file. Each statement is
-- one `CREATE OR REPLACE VIEW name AS SELECT ...;`. Readers that find a view missing (a
-- database last written by an older specbias, opened read-only) inline the SELECT as a
-- common table expression of the same name instead. From the duckdb CLI:
--
--   duckdb data/results.duckdb
--   .read sql/views.sql
--   SELECT * FROM rate_summary WHERE kind = 'target' AND split = 'train';
--
-- run_params    one row per run: the main knobs of its spec, as columns.
-- rate_summary  one row per (run, split, kind, degree) of `rates`: fitted rate against the
--               theory and kernel rates, with both ratios, and the run's knobs.
-- sweep_summary one row per (sweep, grid point, split, kind, degree): the mean, standard
--               deviation and count of the fitted rates and ratios over the runs of the point
--               that differ only in their seed.

-- The knobs a sweep grid usually varies. spec is the validated spec (canonical JSON), so every
-- path below is present in runs written by specbias; json_extract yields NULL otherwise.
-- config_id identifies the spec without its seed: runs that differ only in seed share it.
CREATE OR REPLACE VIEW run_params AS
SELECT
    run_id,
    name,
    sweep_id,
    status,
    CAST(json_extract(spec, '$.model.width') AS INTEGER)            AS width,
    CAST(json_extract(spec, '$.data.n') AS INTEGER)                 AS n,
    CAST(json_extract(spec, '$.data.nTest') AS INTEGER)             AS n_test,
    CAST(json_extract(spec, '$.data.dim') AS INTEGER)               AS dim,
    CAST(json_extract(spec, '$.seed') AS INTEGER)                   AS seed,
    json_extract_string(spec, '$.data.distribution.kind')           AS distribution,
    json_extract_string(spec, '$.data.target.kind')                 AS target,
    CAST(json_extract(spec, '$.training.learningRate') AS DOUBLE)   AS learning_rate,
    CAST(json_extract(spec, '$.training.steps') AS INTEGER)         AS steps,
    CAST(json_extract(spec, '$.model.theta') AS DOUBLE)             AS theta,
    -- RFC 7396 merge patch: a null member removes the key.
    left(md5(CAST(json_merge_patch(spec, '{"seed": null}') AS VARCHAR)), 12) AS config_id
FROM runs;

-- fitted_over_theory and fitted_over_kernel are NULL where the denominator is NULL or 0,
-- and NaN where the fit was refused (fitted_rate NaN; note says why).
CREATE OR REPLACE VIEW rate_summary AS
SELECT
    r.run_id,
    p.name,
    p.sweep_id,
    r.split,
    r.kind,
    r.degree,
    r.fitted_rate,
    r.theory_rate,
    r.kernel_rate,
    r.fitted_rate / nullif(r.theory_rate, 0) AS fitted_over_theory,
    r.fitted_rate / nullif(r.kernel_rate, 0) AS fitted_over_kernel,
    r.r2,
    r.n_points,
    r.window_start,
    r.window_end,
    r.note,
    p.width,
    p.n,
    p.dim,
    p.seed,
    p.learning_rate
FROM rates AS r
LEFT JOIN run_params AS p USING (run_id);

-- Only runs with a sweep_id. Refused fits (NaN) are counted in n_failed and left out of the
-- means, so one stalled seed does not turn the whole point into NaN.
CREATE OR REPLACE VIEW sweep_summary AS
SELECT
    s.sweep_id,
    p.config_id,
    s.split,
    s.kind,
    s.degree,
    p.width,
    p.n,
    p.dim,
    p.distribution,
    p.target,
    p.learning_rate,
    count(*)                                                               AS n_runs,
    count(*) FILTER (WHERE isnan(s.fitted_rate))                           AS n_failed,
    list(p.seed ORDER BY p.seed)                                           AS seeds,
    avg(s.fitted_rate) FILTER (WHERE NOT isnan(s.fitted_rate))             AS fitted_rate_mean,
    stddev_samp(s.fitted_rate) FILTER (WHERE NOT isnan(s.fitted_rate))     AS fitted_rate_std,
    min(s.fitted_rate) FILTER (WHERE NOT isnan(s.fitted_rate))             AS fitted_rate_min,
    max(s.fitted_rate) FILTER (WHERE NOT isnan(s.fitted_rate))             AS fitted_rate_max,
    avg(s.theory_rate)                                                     AS theory_rate,
    avg(s.kernel_rate) FILTER (WHERE NOT isnan(s.kernel_rate))             AS kernel_rate_mean,
    avg(s.fitted_over_theory) FILTER (WHERE NOT isnan(s.fitted_over_theory)) AS fitted_over_theory_mean,
    stddev_samp(s.fitted_over_theory) FILTER (WHERE NOT isnan(s.fitted_over_theory)) AS fitted_over_theory_std,
    avg(s.fitted_over_kernel) FILTER (WHERE NOT isnan(s.fitted_over_kernel)) AS fitted_over_kernel_mean,
    stddev_samp(s.fitted_over_kernel) FILTER (WHERE NOT isnan(s.fitted_over_kernel)) AS fitted_over_kernel_std
FROM rate_summary AS s
JOIN run_params AS p USING (run_id)
WHERE s.sweep_id IS NOT NULL
GROUP BY s.sweep_id, p.config_id, s.split, s.kind, s.degree, p.width, p.n, p.dim, p.distribution, p.target, p.learning_rate;
