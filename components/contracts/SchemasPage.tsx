'use client';
/**
 * Event contracts (`/schemas`): every event type with a registered JSON Schema, its versions (who
 * registered each, whether it was forced past a breaking change), and for architects a form that registers
 * a new version. Publishing an event of a type with a schema is validated against its latest version; a
 * change that breaks a published workflow reading the type is refused with the places, and can be forced.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Badge, Button, Card, CardContent, ErrorNote, Field, inputClass, Skeleton, SubmitButton, Table, TableBody, TableHead, Th, Toasts, toast } from '@/components/ui';
import { callError } from '@/components/ui/callError';
import { useTRPC } from '@/components/trpc/client';
import { useActor } from '@/components/auth/useActor';
import { shownDateTime } from '@/components/timeline/format';

const textareaClass = `${inputClass} h-auto min-h-48 py-2 font-mono text-xs`;
const EXAMPLE = '{\n  "type": "object",\n  "required": ["caseId"],\n  "properties": {\n    "caseId": { "type": "string" },\n    "facts": { "type": "string" }\n  }\n}';

export function SchemasPage() {
  const trpc = useTRPC();
  const { can } = useActor();
  const list = useQuery(trpc.schemas.list.queryOptions());
  const [open, setOpen] = useState<string | null>(null);
  const [editing, setEditing] = useState<{ type: string; schema: string; description: string } | null>(null);
  const mayChange = can('architect');

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center gap-3">
        <p className="text-sm text-zinc-500 dark:text-zinc-400">{list.data ? `${list.data.length} event type${list.data.length === 1 ? '' : 's'} with a contract` : ' '}</p>
        <div className="ml-auto">
          {mayChange && (
            <Button variant="primary" onClick={() => setEditing({ type: '', schema: EXAMPLE, description: '' })} data-testid="add-schema">
              Add schema
            </Button>
          )}
        </div>
      </div>
      {editing && <SchemaForm initial={editing} onDone={(type) => { setEditing(null); if (type) setOpen(type); }} />}
      <Card>
        <CardContent className="overflow-x-auto p-0">
          {list.isPending ? (
            <Skeleton className="m-5 h-24" />
          ) : list.isError ? (
            <div className="p-5">
              <ErrorNote error={list.error} context="Could not load the schemas" />
            </div>
          ) : list.data.length === 0 ? (
            <p className="p-5 text-sm text-zinc-500">No event type has a schema yet. {mayChange ? 'Add one: events of that type are then validated when they are published.' : ''}</p>
          ) : (
            <Table testId="schemas-table" label="Event schemas">
              <TableHead>
                <Th className="px-5 py-2">Event type</Th>
                <Th>Version</Th>
                <Th>Description</Th>
                <Th>Registered</Th>
              </TableHead>
              <TableBody>
                {list.data.map((s) => (
                  <tr key={s.type} data-testid="schema-row" data-type={s.type} className="border-t border-zinc-100 dark:border-zinc-800">
                    <td className="px-5 py-2">
                      <button type="button" className="font-mono text-sm hover:underline" onClick={() => setOpen(open === s.type ? null : s.type)} aria-expanded={open === s.type}>
                        {s.type}
                      </button>
                    </td>
                    <td className="py-2 tabular-nums">v{s.version}{s.versions > 1 && <span className="text-xs text-zinc-500"> of {s.versions}</span>}</td>
                    <td className="py-2 text-sm text-zinc-600 dark:text-zinc-400">{s.description || '—'}</td>
                    <td className="py-2 text-xs text-zinc-500">{shownDateTime(Date.parse(s.registeredAt))} · {s.registeredBy}</td>
                  </tr>
                ))}
              </TableBody>
            </Table>
          )}
        </CardContent>
      </Card>
      {open && <SchemaDetail type={open} mayChange={mayChange} onEdit={(schema, description) => setEditing({ type: open, schema, description })} />}
      <Toasts />
    </div>
  );
}

function SchemaDetail({ type, mayChange, onEdit }: { type: string; mayChange: boolean; onEdit: (schema: string, description: string) => void }) {
  const trpc = useTRPC();
  const [version, setVersion] = useState<number | undefined>(undefined);
  const q = useQuery(trpc.schemas.get.queryOptions({ type, ...(version !== undefined && { version }) }));
  if (q.isPending) return <Skeleton className="h-40" />;
  if (q.isError) return <ErrorNote error={q.error} context={`Could not load ${type}`} />;
  const s = q.data;
  const text = JSON.stringify(s.schema, null, 2);
  return (
    <Card>
      <CardContent className="space-y-3 p-5" data-testid="schema-detail" data-type={type}>
        <div className="flex flex-wrap items-center gap-2">
          <h2 className="font-mono text-sm font-semibold">{type}</h2>
          <label className="flex items-center gap-1 text-xs text-zinc-500">
            Version
            <select value={s.version} onChange={(e) => setVersion(Number(e.target.value))} className="rounded border border-zinc-200 bg-transparent px-1 py-0.5 dark:border-zinc-700" aria-label="Schema version">
              {s.versions.map((v) => (
                <option key={v.version} value={v.version}>
                  v{v.version} · {v.registeredBy}{v.forced ? ' · forced' : ''}
                </option>
              ))}
            </select>
          </label>
          {s.forced && <Badge tone="warning">forced past {s.breaking.length} breaking place{s.breaking.length === 1 ? '' : 's'}</Badge>}
          {mayChange && (
            <Button className="ml-auto" onClick={() => onEdit(text, s.description)} data-testid="edit-schema">
              New version
            </Button>
          )}
        </div>
        {s.description && <p className="text-sm text-zinc-600 dark:text-zinc-400">{s.description}</p>}
        <pre className="max-h-96 overflow-auto rounded-md bg-zinc-50 p-3 font-mono text-xs dark:bg-zinc-950" data-testid="schema-json">{text}</pre>
        {s.forced && (
          <ul className="list-disc pl-5 text-xs text-amber-700 dark:text-amber-400">
            {s.breaking.map((b, i) => <li key={i}>{b.message}</li>)}
          </ul>
        )}
      </CardContent>
    </Card>
  );
}

function SchemaForm({ initial, onDone }: { initial: { type: string; schema: string; description: string }; onDone: (type: string | null) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [d, setD] = useState(initial);
  const [jsonError, setJsonError] = useState<string | null>(null);
  const put = useMutation(
    trpc.schemas.put.mutationOptions({
      onSuccess: (r) => {
        void queryClient.invalidateQueries({ queryKey: trpc.schemas.pathKey() });
        toast(r.created ? `Registered ${r.version.type} v${r.version.version}` : `Unchanged: ${r.version.type} is already v${r.version.version}`);
        onDone(r.version.type);
      },
    }),
  );
  const refusal = put.isError ? callError(put.error) : null;
  const breaking = refusal?.code === 'schema.breaking';

  function send(force: boolean) {
    setJsonError(null);
    let schema: unknown;
    try {
      schema = JSON.parse(d.schema);
    } catch (e) {
      return setJsonError(`Not JSON: ${(e as Error).message}`);
    }
    if (schema === null || (typeof schema !== 'object' && typeof schema !== 'boolean') || Array.isArray(schema)) return setJsonError('A JSON Schema is an object (or true / false)');
    put.mutate({ type: d.type.trim(), schema: schema as Record<string, unknown>, ...(d.description && { description: d.description }), ...(force && { force: true }) });
  }
  const submit = (e: FormEvent) => {
    e.preventDefault();
    send(false);
  };

  return (
    <Card>
      <CardContent className="p-5">
        <form onSubmit={submit} className="grid gap-4" aria-label="Register a schema" data-testid="schema-form">
          <div className="grid gap-4 sm:grid-cols-2">
            <Field label="Event type" htmlFor="schema-type" hint="e.g. case.opened" error={refusal && !breaking && /type/.test(refusal.code) ? refusal.message : null}>
              <input id="schema-type" required value={d.type} disabled={initial.type !== ''} onChange={(e) => setD({ ...d, type: e.target.value })} className={inputClass} autoComplete="off" />
            </Field>
            <Field label="Description" htmlFor="schema-description">
              <input id="schema-description" value={d.description} onChange={(e) => setD({ ...d, description: e.target.value })} className={inputClass} />
            </Field>
          </div>
          <Field label="JSON Schema" htmlFor="schema-json" error={jsonError ?? (refusal?.code === 'schema.invalid' ? refusal.message : null)}>
            <textarea id="schema-json" value={d.schema} onChange={(e) => setD({ ...d, schema: e.target.value })} className={textareaClass} spellCheck={false} />
          </Field>
          {refusal && (breaking || !['schema.invalid', 'schema.invalid_type', 'schema.reserved_type'].includes(refusal.code)) && <ErrorNote testId="schema-form-error" error={put.error} />}
          <div className="flex flex-wrap gap-2">
            <SubmitButton pending={put.isPending} pendingLabel="Registering…" testId="schema-submit">
              Register version
            </SubmitButton>
            {breaking && (
              <Button variant="secondary" onClick={() => send(true)} data-testid="schema-force">
                Register anyway (breaks them)
              </Button>
            )}
            <Button onClick={() => onDone(null)}>Cancel</Button>
          </div>
        </form>
      </CardContent>
    </Card>
  );
}
