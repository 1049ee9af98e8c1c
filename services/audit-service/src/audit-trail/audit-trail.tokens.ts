export const AUDIT_SCHEMA = Symbol('AUDIT_SCHEMA');
