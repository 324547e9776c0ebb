/**
 * The schema registry of event types: a JSON Schema per type, versioned, folded from the log itself. A
 * `PUT /api/v1/schemas/{type}` appends `schema.registered { type, version, schema, description,
 * previousVersion, forced, breaking }` (key `schema:<type>`, source the caller); the registry is what those
 * events say, so every Spine process sharing a log sees the same schemas and their history is evidence.
 *
 * - `check(type, payload)` is the publish gate: a client's event of a type with a schema must validate
 *   (400 `event.schema_violation` with the JSON Pointer of the first violation; nothing is appended).
 * - `put` refuses a new version that breaks a published workflow reading the type (compatibility.ts) with
 *   409 `schema.breaking` and the places that break, unless forced; an identical schema makes no version.
 * - Validators are compiled once per (type, version) with Ajv (formats on).
 *
 * Another process's registration is seen within `refreshMs` (the fold catches up from the log then); this
 * process's own at once.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { ConflictError, NotFoundError, ValidationError } from '@/server/errors';
import { canonicalJson, reservedNamespaceOf, sourceOf, type Json, type Principal, type Spine } from '@/server/spine';
import { breakingChanges, type Break, type FieldReader } from './compatibility';

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ allErrors: false, strict: false, validateSchema: true }));

export const SCHEMA_REGISTERED = 'schema.registered';

export type SchemaVersion = {
  type: string;
  version: number;
  schema: Json;
  description: string;
  /** Where it was registered: the `schema.registered` event. */
  seq: number;
  registeredAt: string;
  registeredBy: string;
  /** Registered although it broke a reader (the places are in `breaking`). */
  forced: boolean;
  breaking: Break[];
};

export type SchemaSummary = Pick<SchemaVersion, 'type' | 'version' | 'description' | 'registeredAt' | 'registeredBy'> & { versions: number };

/** An event type a schema may be registered for: a client's type (reserved namespaces are the engine's). */
const TYPE = /^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)+$/i;

export type EventSchemaRegistry = ReturnType<typeof createEventSchemas>;

export function createEventSchemas(deps: { spine: Spine; readers: (type: string) => Promise<FieldReader[]>; refreshMs?: number; now?: () => number }) {
  const { spine, readers } = deps;
  const refreshMs = deps.refreshMs ?? 1_000;
  const now = deps.now ?? Date.now;
  const byType = new Map<string, SchemaVersion[]>();
  const validators = new Map<string, ValidateFunction>();
  let seenSeq = 0;
  let refreshedAt = -Infinity;
  let catchingUp: Promise<void> | null = null;

  async function catchUp(): Promise<void> {
    for (;;) {
      const page = await spine.read({ after: seenSeq, limit: 500, filter: { types: [SCHEMA_REGISTERED] } });
      for (const e of page) {
        const p = e.payload as { type: string; version: number; schema: Json; description?: string; forced?: boolean; breaking?: Break[] };
        const list = byType.get(p.type) ?? [];
        if (!list.some((v) => v.version === p.version))
          list.push({ type: p.type, version: p.version, schema: p.schema, description: p.description ?? '', seq: e.seq, registeredAt: e.time, registeredBy: e.source.name, forced: p.forced === true, breaking: p.breaking ?? [] });
        byType.set(p.type, list.sort((a, b) => a.version - b.version));
        seenSeq = e.seq;
      }
      if (page.length < 500) break;
    }
    refreshedAt = now();
  }
  /** Brings the fold up to the log (at most every refreshMs unless forced); concurrent callers share one read. */
  async function fresh(force = false): Promise<void> {
    if (!force && now() - refreshedAt < refreshMs) return;
    catchingUp ??= catchUp().finally(() => (catchingUp = null));
    await catchingUp;
  }

  function validatorOf(v: SchemaVersion): ValidateFunction {
    const key = `${v.type}@${v.version}`;
    let f = validators.get(key);
    if (!f) validators.set(key, (f = ajv.compile(v.schema as object | boolean)));
    return f;
  }

  function latest(type: string): SchemaVersion | undefined {
    return byType.get(type)?.at(-1);
  }

  return {
    async list(): Promise<SchemaSummary[]> {
      await fresh();
      return [...byType.values()]
        .map((vs) => ({ ...pick(vs.at(-1)!), versions: vs.length }))
        .sort((a, b) => a.type.localeCompare(b.type));
    },

    /** The latest version of a type's schema, or the given one; 404 `schema.not_found`. */
    async get(type: string, version?: number): Promise<SchemaVersion> {
      await fresh();
      const vs = byType.get(type) ?? [];
      const v = version === undefined ? vs.at(-1) : vs.find((x) => x.version === version);
      if (!v) throw new NotFoundError('schema.not_found', version === undefined ? `No schema is registered for '${type}'` : `'${type}' has no schema version ${version}`, { type, ...(version !== undefined && { version }) });
      return v;
    },

    async versions(type: string): Promise<SchemaVersion[]> {
      await fresh();
      return [...(byType.get(type) ?? [])].reverse();
    },

    /**
     * The publish gate: throws 400 `event.schema_violation` when `payload` does not satisfy the type's
     * latest schema, naming the first violation's path. Types without a schema pass.
     */
    async check(type: string, payload: unknown): Promise<void> {
      await fresh();
      const v = latest(type);
      if (!v) return;
      const validate = validatorOf(v);
      if (validate(payload ?? null)) return;
      const first = validate.errors?.[0];
      const path = first?.instancePath || '/';
      const what = first ? `${first.message ?? 'is invalid'}${first.keyword === 'additionalProperties' ? ` ('${String((first.params as { additionalProperty?: string }).additionalProperty)}')` : ''}` : 'is invalid';
      throw new ValidationError('event.schema_violation', `payload${path === '/' ? '' : path.replaceAll('/', '.')} ${what} (schema '${type}' v${v.version})`, { type, schemaVersion: v.version, path, keyword: first?.keyword ?? null });
    },

    /**
     * Registers a new version of a type's schema. 400 for a type clients cannot publish or a value that is
     * not JSON Schema; 409 `schema.breaking` (with `breaking`: the places) when a published workflow reads a
     * field the new version removes or retypes, unless `force`; 409 `schema.conflict` when another writer
     * registered the same version first. An identical schema returns the current version (`created: false`).
     */
    async put(type: string, input: { schema: Json; description?: string; force?: boolean }, by: Principal): Promise<{ created: boolean; version: SchemaVersion; breaking: Break[] }> {
      if (!TYPE.test(type) || type.length > 128) throw new ValidationError('schema.invalid_type', `'${type}' is not an event type (dot-separated words, e.g. case.opened)`, { type });
      const ns = reservedNamespaceOf(type);
      if (ns) throw new ValidationError('schema.reserved_type', `'${type}' is one of Spine's own event types (${ns}): their shape is Spine's, not a registered contract`, { type, namespace: ns });
      checkSchema(input.schema);
      await fresh(true);
      const prev = latest(type);
      if (prev && canonicalJson(prev.schema) === canonicalJson(input.schema) && (input.description === undefined || input.description === prev.description)) return { created: false, version: prev, breaking: [] };
      const breaking = prev ? breakingChanges(prev.schema, input.schema, await readers(type)) : [];
      if (breaking.length > 0 && !input.force) {
        throw new ConflictError('schema.breaking', `This change breaks ${breaking.length} place${breaking.length === 1 ? '' : 's'} that read${breaking.length === 1 ? 's' : ''} '${type}': ${breaking.slice(0, 3).map((b) => b.message).join('; ')}${breaking.length > 3 ? '; …' : ''}. Fix them first or register with force.`, { type, breaking: breaking as unknown as Json });
      }
      const version = (prev?.version ?? 0) + 1;
      const [r] = await spine.append([{
        type: SCHEMA_REGISTERED, key: `schema:${type}`, source: sourceOf(by), idempotencyKey: `schema:${type}:v${version}`,
        payload: { type, version, schema: input.schema, description: input.description ?? prev?.description ?? '', previousVersion: prev?.version ?? null, forced: breaking.length > 0, breaking: breaking as unknown as Json },
      }]);
      if (r!.duplicate) throw new ConflictError('schema.conflict', `Version ${version} of '${type}' was registered by someone else meanwhile; read it and try again`, { type, version });
      await fresh(true);
      return { created: true, version: (await this.get(type, version)), breaking };
    },
  };
}

function pick(v: SchemaVersion): Omit<SchemaSummary, 'versions'> {
  return { type: v.type, version: v.version, description: v.description, registeredAt: v.registeredAt, registeredBy: v.registeredBy };
}

/** Refuses (400 `schema.invalid`) a value that is not a JSON Schema Ajv can compile. */
function checkSchema(schema: Json): void {
  if (schema === null || (typeof schema !== 'object' && typeof schema !== 'boolean') || Array.isArray(schema)) throw new ValidationError('schema.invalid', 'schema must be a JSON Schema (an object or a boolean)');
  if (!ajv.validateSchema(schema as object)) throw new ValidationError('schema.invalid', `schema is not a valid JSON Schema: ${ajv.errorsText(ajv.errors, { dataVar: 'schema', separator: '; ' })}`);
  try {
    ajv.compile(schema as object);
  } catch (e) {
    throw new ValidationError('schema.invalid', `schema is not a valid JSON Schema: ${(e as Error).message}`);
  }
}
