-- techspec-bench: seed-deferred-objects
-- The keys and indexes a parallel `seed` dropped for its bulk load, stored before the load
-- starts and deleted as each one is recreated. A row left here means a seed run stopped
-- before recreating that object: the next `seed` or `seed --clear` recreates it from this
-- definition. Only the tool writes this table.
CREATE TABLE techspec_bench.seed_deferred_objects (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    seed_run_id  bigint NOT NULL,
    kind         text   NOT NULL CHECK (kind IN ('primary_key', 'index', 'foreign_key')),
    schema_name  text   NOT NULL,
    -- the constraint's table (primary and foreign keys); '' for an index
    object_table text   NOT NULL,
    -- the constraint's or the index's name
    object_name  text   NOT NULL,
    -- ADD CONSTRAINT clause (keys) or the complete CREATE INDEX statement (indexes)
    definition   text   NOT NULL,
    comment      text,
    tablespace   text,
    UNIQUE (kind, schema_name, object_table, object_name)
);
