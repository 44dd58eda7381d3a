-- The eight views of bench/power.sh, one realistic Tech Spec lookup each, and the padding
-- function that sets their cost. Run with psql, a padding (loop iterations) per view:
--   psql -v ON_ERROR_STOP=1 -v pad1=N1 ... -v pad8=N8 -f views.sql
-- power_pad(n) is a plain CPU loop (no memory, no I/O, ~50 ns an iteration), VOLATILE so it
-- is never folded into a constant. Each view calls it once per execution, whatever the
-- number of rows, through an uncorrelated sub-select in WHERE: the planner makes it an
-- InitPlan checked as a One-Time Filter before any row is read (also when none matches).
-- Redefining a view with a larger padding raises its cost by a known amount without
-- touching the scenario text (the scenarios only name the view).
CREATE OR REPLACE FUNCTION power_pad(n int) RETURNS int
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE AS $$
DECLARE
    x int := 0;
BEGIN
    FOR i IN 1..n LOOP
        x := x + 1;
    END LOOP;
    RETURN x;
END
$$;

-- 1: one session with its progress (primary key).
CREATE OR REPLACE VIEW power_v1 AS
SELECT s.id, s.status, s.current_stage, s.progress_percentage, s.updated_at
FROM tech_spec_sessions s
WHERE (SELECT power_pad(:pad1)) >= 0;

-- 2: the research decisions of one session.
CREATE OR REPLACE VIEW power_v2 AS
SELECT r.session_id, r.technology_category, r.selected_technology, r.decision_rationale
FROM tech_research r
WHERE (SELECT power_pad(:pad2)) >= 0;

-- 3: a session's conversation with the message sizes (the scenario takes one page).
CREATE OR REPLACE VIEW power_v3 AS
SELECT c.session_id, c.role, c.message_type, c."timestamp", length(c.content) AS chars
FROM tech_conversations c
WHERE (SELECT power_pad(:pad3)) >= 0;

-- 4: TRD documents with their validation state (the scenario takes a session's latest).
CREATE OR REPLACE VIEW power_v4 AS
SELECT d.session_id, d.version, d.quality_score, d.created_at,
       d.validation_report ? 'issues' AS has_issues
FROM trd_documents d
WHERE (SELECT power_pad(:pad4)) >= 0;

-- 5: unrecovered errors (the scenario takes the newest of one type).
CREATE OR REPLACE VIEW power_v5 AS
SELECT e.error_type, e.session_id, e.node, e.retry_count, e.created_at
FROM tech_error_logs e
WHERE NOT e.recovered AND (SELECT power_pad(:pad5)) >= 0;

-- 6: the session list (the scenario takes the newest of one status).
CREATE OR REPLACE VIEW power_v6 AS
SELECT s.id, s.status, s.current_stage, s.progress_percentage, s.created_at
FROM tech_spec_sessions s
WHERE (SELECT power_pad(:pad6)) >= 0;

-- 7: per-session conversation summary (grouped; the session's filter is pushed down).
CREATE OR REPLACE VIEW power_v7 AS
SELECT c.session_id, count(*) AS messages,
       count(*) FILTER (WHERE c.role = 'user') AS user_messages,
       max(c."timestamp") AS last_message_at
FROM tech_conversations c
WHERE (SELECT power_pad(:pad7)) >= 0
GROUP BY c.session_id;

-- 8: a user's sessions with their research and error counts.
CREATE OR REPLACE VIEW power_v8 AS
SELECT s.user_id, s.id AS session_id, s.status,
       (SELECT count(*) FROM tech_research r WHERE r.session_id = s.id) AS research,
       (SELECT count(*) FROM tech_error_logs e WHERE e.session_id = s.id) AS errors
FROM tech_spec_sessions s
WHERE (SELECT power_pad(:pad8)) >= 0;
