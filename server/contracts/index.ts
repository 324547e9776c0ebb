/**
 * Contracts: what the events of a type and the outputs of an agent promise to hold (JSON Schema), and whether
 * a new version keeps that promise for everything that reads them. The event-type registry folds its
 * versions from the log (`schema.registered`); agent output schemas live in the agent registry.
 */
export { createEventSchemas, SCHEMA_REGISTERED, type EventSchemaRegistry, type SchemaVersion, type SchemaSummary } from './eventSchemas';
export { breakingChanges, expressionsOf, inputReaders, outputReaders, pathsRead, resolvePath, undeclaredOutputReads, undeclaredReads, type Break, type FieldReader } from './compatibility';
