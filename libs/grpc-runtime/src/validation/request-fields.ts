import { isAbsolute, join } from 'node:path';
import * as protobuf from 'protobufjs';

/** A request field no handler may see: answered INVALID_ARGUMENT with the field's proto path in `tg-field`. */
export class RequestFieldError extends Error {
  readonly code = 'REQUEST.INVALID_ARGUMENT';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'RequestFieldError';
  }
}

/**
 * The rule for every string field of every request (D28 in docs/decisions.md):
 * no C0 control (U+0000–U+001F), no DEL (U+007F), no C1 control (U+0080–U+009F). PostgreSQL refuses NUL
 * in text and jsonb, and the others are invisible in every UI a person reads names, ids and logs in.
 * Free-text fields (a description, a note, a reason, a template) are read as paragraphs, so they
 * may hold TAB, LF and CR, and nothing else from those ranges.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// eslint-disable-next-line no-control-regex
const CONTROL_EXCEPT_LINES = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
const FREE_TEXT = /^(description|note|reason|guide|.+_template)$/;

export const isFreeTextField = (protoName: string): boolean => FREE_TEXT.test(protoName);

function stringProblem(value: string, protoName: string): string | undefined {
  const found = (isFreeTextField(protoName) ? CONTROL_EXCEPT_LINES : CONTROL).exec(value);
  if (!found) return undefined;
  const point = found[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
  return `must not contain control characters (U+${point} at offset ${found.index})`;
}

/**
 * The request messages of the given .proto files, as written (snake_case field names, for error paths).
 * Nest's loader decodes with keepCase: false, so a field is read under its camelCase name.
 */
export class RequestSchema {
  private readonly byPath = new Map<string, protobuf.Type>();

  constructor(root: protobuf.Root) {
    root.resolveAll();
    const visit = (ns: protobuf.NamespaceBase): void => {
      for (const nested of ns.nestedArray) {
        if (nested instanceof protobuf.Service)
          for (const method of nested.methodsArray)
            this.byPath.set(`/${nested.fullName.slice(1)}/${method.name}`, method.resolvedRequestType!);
        if (nested instanceof protobuf.Namespace) visit(nested);
      }
    };
    visit(root);
  }

  static load(protoDir: string, files: string[]): RequestSchema {
    const root = new protobuf.Root();
    root.resolvePath = (_origin, target) => (isAbsolute(target) ? target : join(protoDir, target));
    root.loadSync(files, { keepCase: true });
    return new RequestSchema(root);
  }

  /** The request type of a gRPC method path, e.g. "/tagguard.tag.v1.TagService/CreateTag". */
  requestType(path: string): protobuf.Type | undefined {
    return this.byPath.get(path);
  }

  /** Every method path this schema knows, e.g. for a test that must call each one. */
  methodPaths(): string[] {
    return [...this.byPath.keys()];
  }

  /** Throws RequestFieldError for the first field that breaks the string or the enum rule. */
  check(path: string, request: unknown): void {
    const type = this.byPath.get(path);
    if (type && request && typeof request === 'object')
      checkMessage(type, request as Record<string, unknown>, '');
  }
}

// Each field's camelCase name, computed once: per call it was a regex replace per field of every request.
const camelNames = new WeakMap<protobuf.Field, string>();
function camelName(field: protobuf.Field): string {
  let name = camelNames.get(field);
  if (name === undefined) camelNames.set(field, (name = protobuf.util.camelCase(field.name)));
  return name;
}

function checkMessage(type: protobuf.Type, message: Record<string, unknown>, prefix: string): void {
  for (const field of type.fieldsArray) {
    const value = message[camelName(field)] ?? message[field.name];
    if (value === undefined || value === null) continue;
    const path = `${prefix}${field.name}`;
    if (field instanceof protobuf.MapField) {
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
        checkScalar(field.keyType, field.name, key, path);
        checkValue(field, item, `${path}[${JSON.stringify(key)}]`);
      }
    } else if (field.repeated && Array.isArray(value)) {
      value.forEach((item, i) => checkValue(field, item, `${path}[${i}]`));
    } else {
      checkValue(field, value, path);
    }
  }
}

function checkValue(field: protobuf.Field, value: unknown, path: string): void {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) {
    if (value && typeof value === 'object')
      checkMessage(resolved, value as Record<string, unknown>, `${path}.`);
  } else if (resolved instanceof protobuf.Enum) {
    // proto-loader with enums: String turns a known number into its name and leaves an unknown one a number.
    const known =
      typeof value === 'string'
        ? Object.prototype.hasOwnProperty.call(resolved.values, value)
        : typeof value === 'number' && resolved.valuesById[value] !== undefined;
    if (!known)
      throw new RequestFieldError(
        path,
        `${String(value)} is not a ${resolved.name} (one of ${Object.keys(resolved.values).join(', ')})`,
      );
  } else {
    checkScalar(field.type, field.name, value, path);
  }
}

function checkScalar(type: string, protoName: string, value: unknown, path: string): void {
  if (type !== 'string' || typeof value !== 'string') return;
  const problem = stringProblem(value, protoName);
  if (problem) throw new RequestFieldError(path, problem);
}
