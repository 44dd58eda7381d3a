-- Tech Spec Agent tables. Requires shared.design_jobs (the Design Agent's schema,
-- or the tool's stand-in).
CREATE TABLE tech_spec_sessions (
    id                  uuid        PRIMARY KEY,
    design_job_id       uuid        NOT NULL REFERENCES shared.design_jobs (id),
    project_id          uuid        NOT NULL,
    user_id             uuid        NOT NULL,
    status              text        NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'in_progress', 'paused', 'completed', 'failed')),
    current_stage       text        NOT NULL,
    progress_percentage integer     NOT NULL DEFAULT 0
                        CHECK (progress_percentage BETWEEN 0 AND 100),
    session_data        jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    completed_at        timestamptz,
    CHECK (updated_at >= created_at),
    CHECK ((status = 'completed') = (completed_at IS NOT NULL))
);

CREATE TABLE tech_research (
    id                  uuid        PRIMARY KEY,
    session_id          uuid        NOT NULL REFERENCES tech_spec_sessions (id) ON DELETE CASCADE,
    technology_category text        NOT NULL,
    options             jsonb       NOT NULL DEFAULT '[]'::jsonb,
    selected_technology text,
    decision_rationale  text,
    created_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tech_conversations (
    id           uuid        PRIMARY KEY,
    session_id   uuid        NOT NULL REFERENCES tech_spec_sessions (id) ON DELETE CASCADE,
    role         text        NOT NULL CHECK (role IN ('user', 'agent', 'system')),
    content      text        NOT NULL,
    message_type text        NOT NULL DEFAULT 'text',
    "timestamp"  timestamptz NOT NULL DEFAULT now(),
    metadata     jsonb       NOT NULL DEFAULT '{}'::jsonb
);

CREATE TABLE trd_documents (
    id                uuid        PRIMARY KEY,
    session_id        uuid        NOT NULL REFERENCES tech_spec_sessions (id) ON DELETE CASCADE,
    version           integer     NOT NULL CHECK (version >= 1),
    content           text        NOT NULL,
    quality_score     numeric(5,2) CHECK (quality_score BETWEEN 0 AND 100),
    validation_report jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tech_error_logs (
    id                uuid        PRIMARY KEY,
    session_id        uuid        NOT NULL REFERENCES tech_spec_sessions (id) ON DELETE CASCADE,
    node              text        NOT NULL,
    error_type        text        NOT NULL,
    error_message     text        NOT NULL,
    stack_trace       text,
    recovery_strategy text,
    recovered         boolean     NOT NULL DEFAULT false,
    retry_count       integer     NOT NULL DEFAULT 0 CHECK (retry_count >= 0),
    created_at        timestamptz NOT NULL DEFAULT now()
);
