-- techspec-bench: shared-stand-in
-- Stand-in for the Design Agent's `shared` schema. The real Design Agent owns this
-- schema; this migration is applied only on databases the tool owns (throwaway
-- clusters) or when `migrate --create-shared-stand-in` is given, and never over an
-- existing shared.design_jobs.
CREATE SCHEMA IF NOT EXISTS shared;

CREATE TABLE shared.design_jobs (
    id          uuid        PRIMARY KEY,
    project_id  uuid        NOT NULL,
    user_id     uuid        NOT NULL,
    title       text        NOT NULL,
    status      text        NOT NULL DEFAULT 'completed'
                CHECK (status IN ('pending', 'running', 'completed', 'failed')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE shared.design_outputs (
    id          uuid        PRIMARY KEY,
    job_id      uuid        NOT NULL REFERENCES shared.design_jobs (id) ON DELETE CASCADE,
    output_type text        NOT NULL CHECK (output_type IN ('prd', 'design_doc', 'wireframe', 'user_flow')),
    content     text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_design_outputs_job_id ON shared.design_outputs (job_id);

CREATE TABLE shared.design_decisions (
    id             uuid        PRIMARY KEY,
    job_id         uuid        NOT NULL REFERENCES shared.design_jobs (id) ON DELETE CASCADE,
    decision_key   text        NOT NULL,
    decision_value text        NOT NULL,
    rationale      text,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_design_decisions_job_id ON shared.design_decisions (job_id);
