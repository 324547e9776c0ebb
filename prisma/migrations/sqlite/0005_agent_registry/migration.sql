-- AlterTable (hand-written as ADD COLUMNs rather than Prisma's table rebuild: same columns, no copy)
ALTER TABLE "agents" ADD COLUMN "capabilities" TEXT NOT NULL DEFAULT '[]';
ALTER TABLE "agents" ADD COLUMN "limits" TEXT NOT NULL DEFAULT '{}';
ALTER TABLE "agents" ADD COLUMN "version" INTEGER NOT NULL DEFAULT 1;
ALTER TABLE "agents" ADD COLUMN "removed_at" DATETIME;

-- CreateTable
CREATE TABLE "agent_versions" (
    "agent_name" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "record" TEXT NOT NULL,
    "created_by" TEXT NOT NULL,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("agent_name", "version"),
    CONSTRAINT "agent_versions_agent_name_fkey" FOREIGN KEY ("agent_name") REFERENCES "agents" ("name") ON DELETE CASCADE ON UPDATE CASCADE
);

-- Hand-written: agents registered before versions existed get their version 1 on record.
INSERT INTO "agent_versions" ("agent_name", "version", "record", "created_by")
SELECT "name", 1, json_object('kind', "kind", 'description', "description", 'config', json("config"), 'capabilities', json('[]'), 'limits', json('{}'), 'inputSchema', NULL, 'outputSchema', NULL), 'migration' FROM "agents";
