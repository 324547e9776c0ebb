-- AlterTable
ALTER TABLE "agents" ADD COLUMN     "capabilities" TEXT NOT NULL DEFAULT '[]',
ADD COLUMN     "limits" TEXT NOT NULL DEFAULT '{}',
ADD COLUMN     "removed_at" TIMESTAMP(3),
ADD COLUMN     "version" INTEGER NOT NULL DEFAULT 1;

-- CreateTable
CREATE TABLE "agent_versions" (
    "agent_name" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "record" TEXT NOT NULL,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "agent_versions_pkey" PRIMARY KEY ("agent_name","version")
);

-- AddForeignKey
ALTER TABLE "agent_versions" ADD CONSTRAINT "agent_versions_agent_name_fkey" FOREIGN KEY ("agent_name") REFERENCES "agents"("name") ON DELETE CASCADE ON UPDATE CASCADE;

-- Hand-written: agents registered before versions existed get their version 1 on record.
INSERT INTO "agent_versions" ("agent_name", "version", "record", "created_by")
SELECT "name", 1, json_build_object('kind', "kind", 'description', "description", 'config', "config"::json, 'capabilities', '[]'::json, 'limits', '{}'::json, 'inputSchema', NULL, 'outputSchema', NULL)::text, 'migration' FROM "agents";
