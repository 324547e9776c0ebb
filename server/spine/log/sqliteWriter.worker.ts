/**
 * The writer thread's entry (started by sqliteWriter.ts): its own connection to the log's file, the same
 * batch transaction as the inline writer, one request at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openSqliteDatabase } from '@/server/db/sqlite';
import { StatementCache, batchWriter, runPrepared } from './sqliteStatements';
import { toWireCommit, toWireError, type WriterReply, type WriterRequest } from './sqliteWriter';

const { file, synchronous } = workerData as { file: string; synchronous: 'FULL' | 'NORMAL' };
const db = openSqliteDatabase(file, synchronous);
const statements = new StatementCache(db, 500);
const writeBatch = batchWriter(db, statements);
const port = parentPort!;

port.on('message', (req: WriterRequest) => {
  let reply: WriterReply;
  try {
    if (req.op === 'commit') reply = { id: req.id, ok: true, commit: toWireCommit(req.batch, writeBatch(req.batch)) };
    else if (req.op === 'exec') {
      runPrepared(statements.get(req.sql), req.params);
      reply = { id: req.id, ok: true };
    } else {
      db.close();
      port.postMessage({ id: req.id, ok: true } satisfies WriterReply);
      port.close();
      return;
    }
  } catch (e) {
    reply = { id: req.id, ok: false, error: toWireError(e) };
  }
  port.postMessage(reply);
});
