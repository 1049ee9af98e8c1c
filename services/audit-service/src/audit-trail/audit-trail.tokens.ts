export const AUDIT_SCHEMA = Symbol('AUDIT_SCHEMA');
export const AUDIT_CONSUMER = Symbol('AUDIT_CONSUMER');
