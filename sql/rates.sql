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
-- One rule, one window per (run_id, split, kind, degree), shared by every curve:
--
--   reference     the curve that sets the window: the finite-width twin (source = 'init') when
--                 the run has it, else the infinite-width twin ('kernel'), else the network.
--   peak          the reference's largest value, at peak_step (the first step it is attained).
--   window_start  the first logged step >= peak_step whose reference value is < 0.9 * peak.
--   window_end    the first logged step after that whose reference value is < 1e-2 * peak, or
--                 the last logged step if it never gets there.
--   For each source (network, kernel, init), over exactly the logged steps in
--   [window_start, window_end] (values <= 0 are left out of ln):
--     rate        -regr_slope(ln(value), step)
--     r2          regr_r2(ln(value), step)
--     stderr      the slope's standard error, sqrt(SSE / (n - 2) / Sxx), SSE the residual sum of squares
--     n_points    how many points the fit used.
--     intercept   regr_intercept(ln(value), step): the fitted line is ln value = intercept - rate * step.
--   Under sgd and adam (mini-batches of B from n points, E = floor(n / B) > 1 steps per epoch) the
--   network's curve is noisy, and its noise is shared by the steps of an epoch (each epoch visits
--   every point once, so the batches' deviations from the full-batch step cancel over it). There,
--   when the window meets at least 5 epochs floor(step / E), the network is fitted on one point per
--   epoch: (mean logged step, mean of ln value) over the epoch's logged steps in the window, and
--   n_points counts epochs; its stderr then comes from the scatter between epochs, which the
--   within-epoch correlation does not shrink. A shorter window (a degree learned within a few
--   epochs) keeps the logged steps, and note says so. The twins (deterministic gd curves) always
--   use the logged steps; gd runs are fitted exactly as before.
--   A fit with fewer than 5 points gives NaN, and note says why; so does a reference that never
--   falls below 0.9x its peak (no window). A network fit with r2 < 0.9 keeps its rate, and note
--   says it is a poor fit.
--
--   fitted_rate       the network's rate.
--   fit_intercept     the network's intercept: its fitted line over the window is
--                     ln v(t) = fit_intercept - fitted_rate * t. NULL where fitted_rate is NaN.
--   kernel_rate       the infinite-width twin's rate (analytic kappa Gram); NULL without its rows.
--   init_kernel_rate  the finite-width twin's rate (the network's empirical NTK at init); NULL without.
--   theory_rate       -ln(1 - lr * mu_k), lr = spec.training.learningRate (eta'), mu_k from the
--                     spectrum table (the run's model's kernel). NULL when lr * mu_k >= 1,
--                     mu_k <= 0 or mu_k is a numerical zero (numerical_zero: rounding noise around
--                     a zero by symmetry, or below what the quadrature resolves).
--   ratio             fitted_rate / theory_rate.
--
-- Kind 'eigen-band' (file data whose Gram shows no degree structure): degree is the eigenvalue
-- index band b = [2^b - 1, 2^(b+1) - 2] of K/n, not a degree; it gets no theory rate, and note says so.
--
-- Why this window: from the peak, not step 0, because a curve can rise first (the other
-- degrees' transient); above 0.9x the peak it still carries that transient, and below 1e-2x
-- it reaches the floor where the residuals of other degrees leak into this one's projection.
-- Taking it from the finite-width twin, which the network follows to first order, and fitting
-- all three curves on the same steps makes their rates comparable term by term.

WITH
params AS (
    SELECT CAST(getvariable('run_id') AS VARCHAR) AS run_id
),
points AS (
    SELECT p.run_id, p.split, p.kind, p.degree, p.source, p.step, p.value
    FROM projections AS p, params
    WHERE params.run_id IS NULL OR p.run_id = params.run_id
),
curves AS (
    SELECT run_id, split, kind, degree, source,
           max(value) AS peak,
           max(step) AS last_step
    FROM points
    GROUP BY run_id, split, kind, degree, source
),
reference AS (
    SELECT run_id, split, kind, degree,
           arg_min(source, CASE source WHEN 'init' THEN 0 WHEN 'kernel' THEN 1 ELSE 2 END) AS ref_source
    FROM curves
    GROUP BY run_id, split, kind, degree
),
ref_curve AS (
    SELECT c.run_id, c.split, c.kind, c.degree, c.source, c.peak, c.last_step,
           min(p.step) FILTER (WHERE p.value = c.peak) AS peak_step
    FROM curves AS c
    JOIN reference AS r
      ON r.run_id = c.run_id AND r.split = c.split AND r.kind = c.kind AND r.degree = c.degree AND r.ref_source = c.source
    JOIN points AS p
      ON p.run_id = c.run_id AND p.split = c.split AND p.kind = c.kind AND p.degree = c.degree AND p.source = c.source
    GROUP BY c.run_id, c.split, c.kind, c.degree, c.source, c.peak, c.last_step
),
starts AS (
    SELECT c.run_id, c.split, c.kind, c.degree, c.source AS ref_source, c.peak, c.peak_step, c.last_step,
           min(p.step) FILTER (WHERE p.step >= c.peak_step AND p.value < 0.9 * c.peak) AS window_start
    FROM ref_curve AS c
    JOIN points AS p USING (run_id, split, kind, degree, source)
    GROUP BY ALL
),
windows AS (
    SELECT s.run_id, s.split, s.kind, s.degree, s.ref_source, s.window_start,
           coalesce(min(p.step) FILTER (WHERE s.window_start IS NOT NULL AND p.step >= s.window_start AND p.value < 1e-2 * s.peak),
                    any_value(s.last_step)) AS window_end,
           min(p.step) FILTER (WHERE s.window_start IS NOT NULL AND p.step >= s.window_start AND p.value < 1e-2 * s.peak) IS NOT NULL
               AS reached_floor
    FROM starts AS s
    JOIN points AS p ON p.run_id = s.run_id AND p.split = s.split AND p.kind = s.kind AND p.degree = s.degree
                    AND p.source = s.ref_source
    GROUP BY s.run_id, s.split, s.kind, s.degree, s.ref_source, s.window_start
),
-- How the network's points enter the fit (see the header). Under sgd and adam with E = floor(n / B)
-- > 1 steps per epoch, a window that spans at least 5 epochs is fitted on one point per epoch.
grouping AS (
    SELECT run_id, epoch_steps
    FROM (
        SELECT run_id,
               CASE WHEN json_extract_string(spec, '$.training.optimizer') IN ('sgd', 'adam')
                    THEN floor(CAST(json_extract(spec, '$.data.n') AS DOUBLE)
                               / CAST(json_extract(spec, '$.training.batchSize') AS DOUBLE))
               END AS epoch_steps
        FROM runs
    )
    WHERE epoch_steps > 1
),
epoch_windows AS (
    SELECT w.*, g.epoch_steps,
           floor(w.window_end / g.epoch_steps) - floor(w.window_start / g.epoch_steps) + 1 >= 5 AS by_epoch
    FROM windows AS w
    JOIN grouping AS g ON g.run_id = w.run_id
    WHERE w.window_start IS NOT NULL
),
fit_points AS (
    -- Every logged step in the window, ln of the value (NULL for values <= 0, which regr_* skip):
    -- the twins, and the network unless its window is fitted by epoch.
    SELECT w.run_id, w.split, w.kind, w.degree, c.source,
           w.ref_source, w.window_start, w.window_end, w.reached_floor,
           CAST(p.step AS DOUBLE) AS x, ln(CASE WHEN p.value > 0 THEN p.value END) AS y
    FROM windows AS w
    JOIN curves AS c ON c.run_id = w.run_id AND c.split = w.split AND c.kind = w.kind AND c.degree = w.degree
    LEFT JOIN epoch_windows AS e
           ON e.run_id = w.run_id AND e.split = w.split AND e.kind = w.kind AND e.degree = w.degree
    LEFT JOIN points AS p
           ON p.run_id = w.run_id AND p.split = w.split AND p.kind = w.kind
          AND p.degree = w.degree AND p.source = c.source
          AND p.step BETWEEN w.window_start AND w.window_end
    WHERE c.source <> 'network' OR NOT coalesce(e.by_epoch, false)
    UNION ALL
    -- The network by epoch: per epoch floor(step / E) in the window, the mean logged step and the
    -- mean of ln value, so an exponential stays exactly on its line whatever steps were logged.
    SELECT e.run_id, e.split, e.kind, e.degree, 'network' AS source,
           e.ref_source, e.window_start, e.window_end, e.reached_floor,
           avg(p.step) AS x, avg(ln(CASE WHEN p.value > 0 THEN p.value END)) AS y
    FROM epoch_windows AS e
    JOIN points AS p
      ON p.run_id = e.run_id AND p.split = e.split AND p.kind = e.kind
     AND p.degree = e.degree AND p.source = 'network'
     AND p.step BETWEEN e.window_start AND e.window_end
    WHERE e.by_epoch
    GROUP BY e.run_id, e.split, e.kind, e.degree, e.ref_source, e.window_start, e.window_end, e.reached_floor,
             floor(p.step / e.epoch_steps)
),
fits AS (
    SELECT run_id, split, kind, degree, source, ref_source, window_start, window_end, reached_floor,
           CAST(regr_count(y, x) AS INTEGER) AS n_points,
           -regr_slope(y, x) AS rate,
           regr_r2(y, x) AS r2,
           regr_intercept(y, x) AS intercept,
           regr_sxx(y, x) AS sxx,
           regr_syy(y, x) AS syy,
           regr_sxy(y, x) AS sxy
    FROM fit_points
    GROUP BY run_id, split, kind, degree, source, ref_source, window_start, window_end, reached_floor
),
judged AS (
    SELECT *,
           CASE
               WHEN window_start IS NULL THEN 'the ' || CASE ref_source WHEN 'init' THEN 'finite-width twin' WHEN 'kernel' THEN 'infinite-width twin' ELSE 'curve' END
                                              || ' did not fall below 0.9x its peak'
               WHEN n_points < 5 THEN 'fewer than 5 points in window [' || window_start || ', ' || window_end || '] (' || n_points || ')'
           END AS failure,
           -- Residual sum of squares over n - 2 degrees of freedom, per unit of Sxx.
           CASE WHEN n_points > 2 AND sxx > 0 THEN sqrt(greatest(syy - sxy * sxy / sxx, 0) / (n_points - 2) / sxx) END AS stderr
    FROM fits
),
theory AS (
    SELECT s.run_id, s.degree,
           CASE
               WHEN s.mu > 0 AND NOT coalesce(s.numerical_zero, false) AND lr.lr * s.mu < 1 THEN -ln(1 - lr.lr * s.mu)
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
    CASE
        WHEN i.run_id IS NULL THEN NULL
        WHEN i.failure IS NULL THEN i.rate
        ELSE CAST('NaN' AS DOUBLE)
    END AS init_kernel_rate,
    CASE WHEN n.failure IS NULL THEN n.rate ELSE CAST('NaN' AS DOUBLE) END / t.theory_rate AS ratio,
    CASE WHEN n.failure IS NULL THEN n.r2 END AS r2,
    CASE WHEN n.failure IS NULL THEN n.stderr END AS stderr,
    CASE WHEN n.failure IS NULL THEN n.intercept END AS fit_intercept,
    n.window_start,
    n.window_end,
    n.n_points,
    nullif(concat_ws('; ',
        -- No kernel twin is defined for adam or heavy-ball sgd (cache-keys.ts projectionTwins).
        CASE WHEN json_extract_string(ru.spec, '$.training.optimizer') = 'adam'
             THEN 'no kernel twin for adam (its normalized per-weight step has no kernel-regime flow); theory rate is gd''s at the same eta'''
             WHEN json_extract_string(ru.spec, '$.training.optimizer') = 'sgd'
                  AND coalesce(CAST(json_extract(ru.spec, '$.training.momentum') AS DOUBLE), 0) > 0
             THEN 'no kernel twin for sgd with momentum (heavy ball''s linearized recursion is not gd''s)' END,
        n.failure,
        CASE WHEN n.failure IS NULL AND e.by_epoch
             THEN 'fitted on ' || n.n_points || ' per-epoch means of ln value (' || e.epoch_steps::BIGINT || ' steps per epoch)'
             WHEN n.failure IS NULL AND e.run_id IS NOT NULL
             THEN 'window spans fewer than 5 epochs of ' || e.epoch_steps::BIGINT || ' steps: fitted on the logged steps (stderr treats them as independent)' END,
        CASE WHEN n.failure IS NULL AND n.r2 < 0.9
             THEN 'poor fit (r2 ' || round(n.r2, 2) || '): over the window the network''s curve is not one exponential, so this rate is a trend at most' END,
        CASE WHEN n.failure IS NULL AND NOT n.reached_floor
             THEN 'the window ends at the last step (the reference did not fall below 1e-2x its peak)' END,
        CASE WHEN n.failure IS NULL AND n.ref_source <> 'init'
             THEN 'window from the ' || CASE n.ref_source WHEN 'kernel' THEN 'infinite-width twin' ELSE 'network' END END,
        CASE WHEN n.kind = 'eigen-band' THEN 'eigenvalue index band ' || n.degree || ' (indices ' || (pow(2, n.degree) - 1)::BIGINT || ' to ' || (pow(2, n.degree + 1) - 2)::BIGINT || ' of K/n, 0-based, largest first): the Gram shows no degree structure, so no theory rate'
             WHEN t.theory_rate IS NULL THEN 'no theory rate: needs mu > 0 and lr*mu < 1' END
    ), '') AS note
FROM judged AS n
LEFT JOIN judged AS k
       ON k.source = 'kernel' AND k.run_id = n.run_id AND k.split = n.split
      AND k.kind = n.kind AND k.degree = n.degree
LEFT JOIN judged AS i
       ON i.source = 'init' AND i.run_id = n.run_id AND i.split = n.split
      AND i.kind = n.kind AND i.degree = n.degree
LEFT JOIN theory AS t
       ON t.run_id = n.run_id AND t.degree = n.degree AND n.kind <> 'eigen-band'
LEFT JOIN runs AS ru ON ru.run_id = n.run_id
LEFT JOIN epoch_windows AS e
       ON e.run_id = n.run_id AND e.split = n.split AND e.kind = n.kind AND e.degree = n.degree
WHERE n.source = 'network'
ORDER BY n.run_id, n.split, n.kind, n.degree;
