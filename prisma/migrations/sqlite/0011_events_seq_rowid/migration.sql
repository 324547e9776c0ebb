-- Hand-written, SQLite only (issue 15): `seq` becomes the table's rowid. "seq BIGINT PRIMARY KEY" kept the
-- rowid apart and a seventh B-tree beside it (the primary key index); "INTEGER PRIMARY KEY" is the rowid
-- itself, so each append writes one B-tree less and a read by seq walks the table directly. The rows,
-- their order and every other index stay as they were. PostgreSQL keeps its primary key (no rowid there).
-- The append-only triggers go with the old table and are made again on the new one.

CREATE TABLE "events_by_seq" (
    "seq" INTEGER NOT NULL PRIMARY KEY,
    "id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "key" TEXT,
    "run_id" TEXT,
    "causation_id" TEXT,
    "source_kind" TEXT NOT NULL,
    "source_name" TEXT NOT NULL,
    "time_ms" BIGINT NOT NULL,
    "envelope_version" INTEGER,
    "payload" TEXT NOT NULL,
    "idempotency_key" TEXT,
    "prev_hash" TEXT NOT NULL,
    "hash" TEXT NOT NULL
);

INSERT INTO "events_by_seq" ("seq", "id", "type", "key", "run_id", "causation_id", "source_kind", "source_name", "time_ms", "envelope_version", "payload", "idempotency_key", "prev_hash", "hash")
SELECT "seq", "id", "type", "key", "run_id", "causation_id", "source_kind", "source_name", "time_ms", "envelope_version", "payload", "idempotency_key", "prev_hash", "hash" FROM "events" ORDER BY "seq";

DROP TABLE "events";
ALTER TABLE "events_by_seq" RENAME TO "events";

CREATE UNIQUE INDEX "events_id_key" ON "events"("id");
CREATE UNIQUE INDEX "events_idempotency_key_key" ON "events"("idempotency_key");
CREATE INDEX "events_run_id_seq_idx" ON "events"("run_id", "seq");
CREATE INDEX "events_key_seq_idx" ON "events"("key", "seq");
CREATE INDEX "events_type_seq_idx" ON "events"("type", "seq");

CREATE TRIGGER events_no_update BEFORE UPDATE ON "events" BEGIN SELECT RAISE(ABORT, 'spine: events are immutable (UPDATE refused)'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON "events" BEGIN SELECT RAISE(ABORT, 'spine: events are immutable (DELETE refused)'); END;
