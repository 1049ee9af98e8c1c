export const AUDIT_SCHEMA = Symbol('AUDIT_SCHEMA');
export const TREE_HEAD_KEY = Symbol('TREE_HEAD_KEY');
