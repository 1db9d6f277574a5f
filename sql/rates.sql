-- rates.sql: per-degree decay rates of one run (or of every run), fitted in SQL.
--
-- specbias runs this file as it stands:  INSERT INTO rates (...) SELECT ... FROM (<this file>).
-- It is one SELECT. The run comes from the session variable run_id; leave it
-- unset (NULL) to get the rates of every run in the database. From the duckdb CLI:
--
--   duckdb -readonly data/results.duckdb
--   SET VARIABLE run_id = 'quickstart-1a2b3c';   -- optional
--   .read sql/rates.sql
--
-- The rule, for each (run_id, split, kind, degree) of projections with source = 'network':
--
--   v0            the value at the smallest logged step.
--   window_start  the first step whose value is < 0.9 * v0.
--   window_end    the first step whose value is < 1e-2 * v0, or the last logged step
--                 if the value never gets there.
--   fitted_rate   -regr_slope(ln(value), step) over every logged point with
--                 window_start <= step <= window_end; values <= 0 are left out of ln.
--   r2            regr_r2(ln(value), step) over the same points.
--   n_points      how many points the fit used.
--   If there is no window_start, or fewer than 3 points in the window, fitted_rate is
--   NaN, r2 is NULL, and note says why.
--
--   kernel_rate   the same fit on the rows with source = 'kernel' (the linearized dynamics
--                 on the sample's own Gram matrix) for the same (split, kind, degree);
--                 NULL when the run has no such rows.
--   theory_rate   -ln(1 - lr * mu_k), with lr = spec.training.learningRate (the NTK-scaled
--                 eta'; the GD step on the weights is eta' / (m theta^2)) and mu_k from the
--                 spectrum table. NULL when lr * mu_k >= 1 or mu_k <= 0.
--   ratio         fitted_rate / theory_rate.
--
-- Why a first-passage window: the early points (above 0.9 v0) still carry the transient of
-- the other degrees and of the initial network, and the late points (below 1e-2 v0) reach the
-- floor where the residuals of other degrees leak into this one's projection. Fitting from the
-- first step below 0.9x the start to the first step below 1e-2x the start keeps the network and
-- the kernel fits over comparable stretches, so their comparison is stable.

WITH
params AS (
    SELECT CAST(getvariable('run_id') AS VARCHAR) AS run_id
),
points AS (
    SELECT p.run_id, p.split, p.kind, p.degree, p.source, p.step, p.value
    FROM projections AS p, params
    WHERE params.run_id IS NULL OR p.run_id = params.run_id
),
starts AS (
    SELECT run_id, split, kind, degree, source,
           arg_min(value, step) AS v0,
           max(step) AS last_step
    FROM points
    GROUP BY run_id, split, kind, degree, source
),
windows AS (
    SELECT s.run_id, s.split, s.kind, s.degree, s.source,
           min(p.step) FILTER (WHERE p.value < 0.9 * s.v0) AS window_start,
           coalesce(min(p.step) FILTER (WHERE p.value < 1e-2 * s.v0), any_value(s.last_step)) AS window_end,
           min(p.step) FILTER (WHERE p.value < 1e-2 * s.v0) IS NOT NULL AS reached_floor
    FROM starts AS s
    JOIN points AS p USING (run_id, split, kind, degree, source)
    GROUP BY s.run_id, s.split, s.kind, s.degree, s.source
),
fits AS (
    SELECT w.run_id, w.split, w.kind, w.degree, w.source,
           w.window_start, w.window_end, w.reached_floor,
           -- ln is only taken of positive values: CASE yields NULL otherwise, and regr_* skip NULLs.
           CAST(regr_count(ln(CASE WHEN p.value > 0 THEN p.value END), p.step) AS INTEGER) AS n_points,
           -regr_slope(ln(CASE WHEN p.value > 0 THEN p.value END), p.step) AS rate,
           regr_r2(ln(CASE WHEN p.value > 0 THEN p.value END), p.step) AS r2
    FROM windows AS w
    LEFT JOIN points AS p
           ON p.run_id = w.run_id AND p.split = w.split AND p.kind = w.kind
          AND p.degree = w.degree AND p.source = w.source
          AND p.step BETWEEN w.window_start AND w.window_end
    GROUP BY w.run_id, w.split, w.kind, w.degree, w.source, w.window_start, w.window_end, w.reached_floor
),
judged AS (
    SELECT *,
           CASE
               WHEN window_start IS NULL THEN 'did not fall below 0.9x its start'
               WHEN n_points < 3 THEN 'fewer than 3 points in window'
           END AS failure
    FROM fits
),
theory AS (
    SELECT s.run_id, s.degree,
           CASE
               WHEN s.mu > 0 AND lr.lr * s.mu < 1 THEN -ln(1 - lr.lr * s.mu)
           END AS theory_rate
    FROM spectrum AS s
    JOIN (
        SELECT run_id, CAST(json_extract(spec, '$.training.learningRate') AS DOUBLE) AS lr
        FROM runs
    ) AS lr USING (run_id)
)
SELECT
    n.run_id,
    n.split,
    n.kind,
    n.degree,
    CASE WHEN n.failure IS NULL THEN n.rate ELSE CAST('NaN' AS DOUBLE) END AS fitted_rate,
    t.theory_rate,
    CASE
        WHEN k.run_id IS NULL THEN NULL
        WHEN k.failure IS NULL THEN k.rate
        ELSE CAST('NaN' AS DOUBLE)
    END AS kernel_rate,
    CASE WHEN n.failure IS NULL THEN n.rate ELSE CAST('NaN' AS DOUBLE) END / t.theory_rate AS ratio,
    CASE WHEN n.failure IS NULL THEN n.r2 END AS r2,
    n.window_start,
    n.window_end,
    n.n_points,
    nullif(concat_ws('; ',
        n.failure,
        CASE WHEN n.failure IS NULL AND NOT n.reached_floor
             THEN 'did not fall below 1e-2x its start; the window ends at the last step' END,
        CASE WHEN k.failure IS NOT NULL THEN 'kernel fit: ' || k.failure END,
        CASE WHEN t.theory_rate IS NULL THEN 'no theory rate: needs mu > 0 and lr*mu < 1' END
    ), '') AS note
FROM judged AS n
LEFT JOIN judged AS k
       ON k.source = 'kernel' AND k.run_id = n.run_id AND k.split = n.split
      AND k.kind = n.kind AND k.degree = n.degree
LEFT JOIN theory AS t
       ON t.run_id = n.run_id AND t.degree = n.degree
WHERE n.source = 'network'
ORDER BY n.run_id, n.split, n.kind, n.degree;
