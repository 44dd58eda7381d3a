-- The 10 secondary indexes of the Tech Spec tables (with the 5 primary keys: 15).
-- Foreign-key / lookup indexes (6). tech_conversations.session_id is covered by the
-- leading column of idx_conversation_session_timestamp.
CREATE INDEX ix_tech_spec_sessions_design_job_id ON tech_spec_sessions (design_job_id);
CREATE INDEX ix_tech_spec_sessions_user_id       ON tech_spec_sessions (user_id);
CREATE INDEX ix_tech_spec_sessions_project_id    ON tech_spec_sessions (project_id);
CREATE INDEX ix_tech_research_session_id         ON tech_research (session_id);
CREATE INDEX ix_trd_documents_session_id         ON trd_documents (session_id);
CREATE INDEX ix_tech_error_logs_session_id       ON tech_error_logs (session_id);

-- Composite indexes (4).
CREATE INDEX idx_session_status_created         ON tech_spec_sessions (status, created_at DESC);
CREATE INDEX idx_conversation_session_timestamp ON tech_conversations (session_id, "timestamp");
CREATE INDEX idx_research_category_selected     ON tech_research (technology_category, selected_technology);
CREATE INDEX idx_error_logs_type_created        ON tech_error_logs (error_type, created_at DESC);
