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
-- replicate_summary one row per (sweep, grid point, split, kind, degree) of replicate runs
--               (`replicates: N`): the mean fitted rate with its 95% t-interval, and the means of
--               both twins' rates.

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
    -- The model family: a spec leaves out the paper's values (depth 2, bias 0, relu).
    coalesce(CAST(json_extract(spec, '$.model.depth') AS INTEGER), 2) AS depth,
    coalesce(CAST(json_extract(spec, '$.model.bias') AS DOUBLE), 0)  AS bias,
    coalesce(json_extract_string(spec, '$.model.activation'), 'relu') AS activation,
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
    r.init_kernel_rate,
    r.fitted_rate / nullif(r.theory_rate, 0) AS fitted_over_theory,
    r.fitted_rate / nullif(r.kernel_rate, 0) AS fitted_over_kernel,
    r.fitted_rate / nullif(r.init_kernel_rate, 0) AS fitted_over_init_kernel,
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

-- t_{0.975, df}: df 1..30 from src/math/student-t.ts (tested against the published table); above
-- 30 the Cornish-Fisher expansion in 1/df about z = 1.959964 (error < 1e-6 there).
CREATE OR REPLACE VIEW replicate_summary AS
WITH t975(df, t) AS (
    VALUES (1, 12.7062047362), (2, 4.30265272975), (3, 3.18244630528), (4, 2.77644510520), (5, 2.57058183564),
           (6, 2.44691185115), (7, 2.36462425159), (8, 2.30600413520), (9, 2.26215716280), (10, 2.22813885199),
           (11, 2.20098516009), (12, 2.17881282967), (13, 2.16036865646), (14, 2.14478668792), (15, 2.13144954556),
           (16, 2.11990529922), (17, 2.10981557783), (18, 2.10092204024), (19, 2.09302405441), (20, 2.08596344727),
           (21, 2.07961384473), (22, 2.07387306790), (23, 2.06865761042), (24, 2.06389856163), (25, 2.05953855275),
           (26, 2.05552943864), (27, 2.05183051648), (28, 2.04840714180), (29, 2.04522964213), (30, 2.04227245630)
),
groups AS (
    SELECT
        s.sweep_id, p.config_id, s.split, s.kind, s.degree,
        count(*) FILTER (WHERE NOT isnan(s.fitted_rate))                AS n,
        count(*)                                                         AS n_runs,
        list(s.run_id ORDER BY p.seed)                                   AS run_ids,
        avg(s.fitted_rate) FILTER (WHERE NOT isnan(s.fitted_rate))       AS fitted_rate_mean,
        stddev_samp(s.fitted_rate) FILTER (WHERE NOT isnan(s.fitted_rate)) AS fitted_rate_std,
        avg(s.kernel_rate) FILTER (WHERE NOT isnan(s.kernel_rate))       AS kernel_rate_mean,
        avg(r.init_kernel_rate) FILTER (WHERE NOT isnan(r.init_kernel_rate)) AS init_kernel_rate_mean,
        avg(s.theory_rate)                                               AS theory_rate
    FROM rate_summary AS s
    JOIN rates AS r USING (run_id, split, kind, degree)
    JOIN run_params AS p USING (run_id)
    WHERE s.sweep_id IS NOT NULL
    GROUP BY s.sweep_id, p.config_id, s.split, s.kind, s.degree
)
SELECT
    g.*,
    g.fitted_rate_std / sqrt(g.n) AS fitted_rate_stderr,
    g.fitted_rate_mean - tq.t * g.fitted_rate_std / sqrt(g.n) AS ci95_lo,
    g.fitted_rate_mean + tq.t * g.fitted_rate_std / sqrt(g.n) AS ci95_hi
FROM groups AS g
LEFT JOIN LATERAL (
    SELECT CASE
        WHEN g.n < 2 THEN NULL
        WHEN g.n - 1 <= 30 THEN (SELECT t FROM t975 WHERE df = g.n - 1)
        ELSE 1.959963984540054
             + (1.959963984540054 ^ 3 + 1.959963984540054) / (4 * (g.n - 1))
             + (5 * 1.959963984540054 ^ 5 + 16 * 1.959963984540054 ^ 3 + 3 * 1.959963984540054) / (96 * (g.n - 1) ^ 2)
             + (3 * 1.959963984540054 ^ 7 + 19 * 1.959963984540054 ^ 5 + 17 * 1.959963984540054 ^ 3 - 15 * 1.959963984540054) / (384 * (g.n - 1) ^ 3)
    END AS t
) AS tq ON TRUE;
