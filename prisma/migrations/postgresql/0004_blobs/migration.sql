-- CreateTable
CREATE TABLE "blobs" (
    "sha256" TEXT NOT NULL,
    "bytes" INTEGER NOT NULL,
    "content" BYTEA NOT NULL,

    CONSTRAINT "blobs_pkey" PRIMARY KEY ("sha256")
);

-- Hand-written: blobs are content-addressed and referenced by hash-chained events, so like events they
-- are never changed or removed (verify names the event whose blob was tampered with anyway).
CREATE FUNCTION spine_blobs_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'spine: blobs are immutable (% refused)', TG_OP;
END;
$$;
CREATE TRIGGER blobs_no_update BEFORE UPDATE ON "blobs" FOR EACH ROW EXECUTE FUNCTION spine_blobs_immutable();
CREATE TRIGGER blobs_no_delete BEFORE DELETE ON "blobs" FOR EACH ROW EXECUTE FUNCTION spine_blobs_immutable();
CREATE TRIGGER blobs_no_truncate BEFORE TRUNCATE ON "blobs" EXECUTE FUNCTION spine_blobs_immutable();
