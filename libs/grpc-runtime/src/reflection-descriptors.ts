import type { PackageDefinition } from '@grpc/proto-loader';
import * as descriptor from 'protobufjs/ext/descriptor';

interface MessageProto {
  name: string;
  field: { name: string; typeName?: string }[];
  nestedType: (MessageProto & { options?: { mapEntry?: boolean } })[];
}

/**
 * protobufjs names a map field's implicit entry type after the field ("Attributes", "Step_seconds")
 * where protobuf requires "<CamelField>Entry" ("AttributesEntry", "StepSecondsEntry"); grpcurl and every
 * Go/Java client then reject the whole file. The descriptors served by reflection are corrected here,
 * before they are served.
 */
export function withProtobufMapEntryNames(definition: PackageDefinition): PackageDefinition {
  const fixed = new Map<Buffer, Buffer>();
  const fix = (bytes: Buffer): Buffer => {
    let out = fixed.get(bytes);
    if (!out) {
      const file = descriptor.FileDescriptorProto.decode(bytes) as unknown as { messageType: MessageProto[] };
      file.messageType.forEach(fixMessage);
      out = Buffer.from(descriptor.FileDescriptorProto.encode(file as never).finish());
      fixed.set(bytes, out);
    }
    return out;
  };
  for (const value of Object.values(definition)) {
    const holder = value as { fileDescriptorProtos?: Buffer[] };
    if (holder.fileDescriptorProtos) holder.fileDescriptorProtos = holder.fileDescriptorProtos.map(fix);
  }
  return definition;
}

function fixMessage(message: MessageProto): void {
  for (const nested of message.nestedType) {
    const field = message.field.find(
      (f) => f.typeName === nested.name || f.typeName?.endsWith(`.${nested.name}`),
    );
    const expected = field ? mapEntryName(field.name) : undefined;
    if (nested.options?.mapEntry && field && expected !== nested.name) {
      const wrong = nested.name;
      nested.name = expected!;
      for (const f of message.field)
        if (f.typeName === wrong || f.typeName?.endsWith(`.${wrong}`))
          f.typeName = `${f.typeName.slice(0, f.typeName.length - wrong.length)}${nested.name}`;
    }
    fixMessage(nested);
  }
}

/** protoc's rule: the field name in CamelCase (underscores dropped, the next letter capitalised) + "Entry". */
export function mapEntryName(fieldName: string): string {
  return `${fieldName.replace(/(^|_)([a-z]?)/g, (_, __, letter: string) => letter.toUpperCase())}Entry`;
}
