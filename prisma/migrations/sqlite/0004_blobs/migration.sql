-- CreateTable
CREATE TABLE "blobs" (
    "sha256" TEXT NOT NULL PRIMARY KEY,
    "bytes" INTEGER NOT NULL,
    "content" BLOB NOT NULL
);

-- Hand-written note: the embedded log keeps blobs as files beside the database (<db dir>/blobs/<aa>/<sha256>);
-- this table exists because both databases share one schema, and stays empty on SQLite.
