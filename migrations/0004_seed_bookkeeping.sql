-- techspec-bench: seed-bookkeeping
-- The tool's own bookkeeping of `seed`: which runs happened and exactly which rows of
-- the Design Agent's `shared` schema they created, so `seed --clear` deletes only those.
-- Tech Spec rows created by the tool are the sessions attached to these design jobs (and
-- their child rows); the recorded counts reveal rows added or removed by anyone else.
CREATE SCHEMA IF NOT EXISTS techspec_bench;

CREATE TABLE techspec_bench.seed_runs (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    status       text        NOT NULL CHECK (status IN ('started', 'complete')),
    rng_seed     bigint      NOT NULL,
    as_of        timestamptz NOT NULL,
    sessions     bigint      NOT NULL CHECK (sessions >= 0),
    -- rows per table written by this run: {"tech_spec_sessions": 10, ...}
    counts       jsonb       NOT NULL DEFAULT '{}'::jsonb,
    tool_version text        NOT NULL,
    started_at   timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz,
    CHECK ((status = 'complete') = (completed_at IS NOT NULL))
);

-- The shared.design_jobs rows a seed run created (their outputs and decisions go with them).
-- No foreign keys: none to shared.design_jobs because the Design Agent owns that schema,
-- and none to seed_runs because a per-row check would slow the bulk load; `seed --clear`
-- empties this table together with seed_runs.
CREATE TABLE techspec_bench.seeded_design_jobs (
    design_job_id uuid   PRIMARY KEY,
    seed_run_id   bigint NOT NULL
);
