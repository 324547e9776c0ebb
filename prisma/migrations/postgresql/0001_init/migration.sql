-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "events" (
    "seq" BIGINT NOT NULL,
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
    "hash" TEXT NOT NULL,

    CONSTRAINT "events_pkey" PRIMARY KEY ("seq")
);

-- CreateTable
CREATE TABLE "spine_head" (
    "id" INTEGER NOT NULL,
    "seq" BIGINT NOT NULL,
    "hash" TEXT NOT NULL,

    CONSTRAINT "spine_head_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "envelopes" (
    "run_id" TEXT NOT NULL,
    "intent" TEXT,
    "constraints" TEXT NOT NULL DEFAULT '{}',
    "deadline_ms" BIGINT,
    "state" TEXT NOT NULL DEFAULT '{}',
    "version" INTEGER NOT NULL,
    "opened_seq" BIGINT NOT NULL,
    "updated_seq" BIGINT NOT NULL,

    CONSTRAINT "envelopes_pkey" PRIMARY KEY ("run_id")
);

-- CreateTable
CREATE TABLE "consumers" (
    "name" TEXT NOT NULL,
    "offset" BIGINT NOT NULL,
    "filter" TEXT NOT NULL DEFAULT '{}',
    "updated_ms" BIGINT NOT NULL,

    CONSTRAINT "consumers_pkey" PRIMARY KEY ("name")
);

-- CreateIndex
CREATE UNIQUE INDEX "events_id_key" ON "events"("id");

-- CreateIndex
CREATE UNIQUE INDEX "events_idempotency_key_key" ON "events"("idempotency_key");

-- CreateIndex
CREATE INDEX "events_run_id_seq_idx" ON "events"("run_id", "seq");

-- CreateIndex
CREATE INDEX "events_key_seq_idx" ON "events"("key", "seq");

-- CreateIndex
CREATE INDEX "events_type_seq_idx" ON "events"("type", "seq");


-- Hand-written: the log is append-only. The database refuses UPDATE and DELETE on events.
CREATE FUNCTION spine_events_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'spine: events are immutable (% refused)', TG_OP;
END;
$$;
CREATE TRIGGER events_no_update BEFORE UPDATE ON "events" FOR EACH ROW EXECUTE FUNCTION spine_events_immutable();
CREATE TRIGGER events_no_delete BEFORE DELETE ON "events" FOR EACH ROW EXECUTE FUNCTION spine_events_immutable();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON "events" EXECUTE FUNCTION spine_events_immutable();

-- Hand-written: the sequencer's head row (seq 0, genesis hash).
INSERT INTO "spine_head" ("id", "seq", "hash") VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
