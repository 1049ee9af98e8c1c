import type { PackageDefinition } from '@grpc/proto-loader';
import * as descriptor from 'protobufjs/ext/descriptor';

interface MessageProto {
  name: string;
  field: { typeName?: string }[];
  nestedType: (MessageProto & { options?: { mapEntry?: boolean } })[];
}

/**
 * protobufjs names a map field's implicit entry type after the field ("Attributes") where protobuf
 * requires "<Field>Entry" ("AttributesEntry"); grpcurl and every Go/Java client then reject the whole
 * file. The descriptors served by reflection are corrected here, before they are served.
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
    if (nested.options?.mapEntry && !nested.name.endsWith('Entry')) {
      const wrong = nested.name;
      nested.name = `${wrong}Entry`;
      for (const field of message.field)
        if (field.typeName === wrong || field.typeName?.endsWith(`.${wrong}`))
          field.typeName = `${field.typeName.slice(0, field.typeName.length - wrong.length)}${nested.name}`;
    }
    fixMessage(nested);
  }
}
