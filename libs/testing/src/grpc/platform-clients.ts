import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import * as descriptor from 'protobufjs/ext/descriptor';

type Callback<T> = (error: grpc.ServiceError | null, response: T) => void;
interface HealthClient extends grpc.Client {
  Check(request: { service: string }, callback: Callback<{ status: string }>): void;
}
interface ReflectionClient extends grpc.Client {
  ServerReflectionInfo(): grpc.ClientDuplexStream<Record<string, unknown>, ReflectionResponse>;
}
interface ReflectionResponse {
  listServicesResponse?: { service: { name: string }[] };
  fileDescriptorResponse?: { fileDescriptorProto: Buffer[] };
  errorResponse?: { errorMessage: string };
}

const loaderOptions: protoLoader.Options = { keepCase: false, enums: String, longs: String, defaults: true };
const reflectionProto = join(
  dirname(require.resolve('@grpc/reflection')),
  '..',
  'proto',
  'grpc',
  'reflection',
  'v1',
  'reflection.proto',
);

function constructor(file: string, path: string[]): grpc.ServiceClientConstructor {
  let node: unknown = grpc.loadPackageDefinition(protoLoader.loadSync(file, loaderOptions));
  for (const key of path) node = (node as Record<string, unknown>)[key];
  return node as grpc.ServiceClientConstructor;
}

/** grpc.health.v1.Health/Check over a real socket; resolves to SERVING / NOT_SERVING / SERVICE_UNKNOWN. */
export function checkHealth(
  address: string,
  service = '',
  channel: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
): Promise<string> {
  const Health = constructor(healthProtoPath, ['grpc', 'health', 'v1', 'Health']);
  const client = new Health(address, channel) as unknown as HealthClient;
  return new Promise((resolve, reject) => {
    client.Check({ service }, (error, response) => {
      client.close();
      if (error) reject(error);
      else resolve(response.status);
    });
  });
}

/** One request/response exchange on grpc.reflection.v1; an error response rejects. */
function reflect(address: string, request: Record<string, string>): Promise<ReflectionResponse> {
  const Reflection = constructor(reflectionProto, ['grpc', 'reflection', 'v1', 'ServerReflection']);
  const client = new Reflection(address, grpc.credentials.createInsecure()) as unknown as ReflectionClient;
  return new Promise((resolve, reject) => {
    const call = client.ServerReflectionInfo();
    call.on('data', (response: ReflectionResponse) => {
      call.end();
      client.close();
      if (response.errorResponse) reject(new Error(response.errorResponse.errorMessage));
      else resolve(response);
    });
    call.on('error', (error) => {
      client.close();
      reject(error);
    });
    call.write(request);
  });
}

/** The service names a server advertises through grpc.reflection.v1. */
export async function listServicesByReflection(address: string): Promise<string[]> {
  const response = await reflect(address, { listServices: '' });
  return (response.listServicesResponse?.service ?? []).map((s) => s.name).sort();
}

/**
 * The field names of a message as server reflection describes it (what grpcurl sees), by asking for
 * the file containing the symbol and decoding its FileDescriptorProtos.
 */
export async function messageFieldsByReflection(address: string, messageName: string): Promise<string[]> {
  return (await messageDescriptorByReflection(address, messageName)).field.map((f) => f.name);
}

export interface ReflectedMessage {
  name: string;
  field: { name: string; typeName?: string }[];
  nestedType: { name: string; options?: { mapEntry?: boolean } }[];
}

/** A message's DescriptorProto as server reflection serves it. */
export async function messageDescriptorByReflection(
  address: string,
  messageName: string,
): Promise<ReflectedMessage> {
  const response = await reflect(address, { fileContainingSymbol: messageName });
  const pkg = messageName.slice(0, messageName.lastIndexOf('.'));
  const name = messageName.slice(messageName.lastIndexOf('.') + 1);
  for (const bytes of response.fileDescriptorResponse?.fileDescriptorProto ?? []) {
    const file = descriptor.FileDescriptorProto.decode(bytes) as unknown as {
      package: string;
      messageType: ReflectedMessage[];
    };
    const message = file.package === pkg ? file.messageType.find((m) => m.name === name) : undefined;
    if (message) return message;
  }
  throw new Error(`${messageName} not in the reflected descriptors`);
}

/** A client for any TagGuard service in proto/, by package path and service name. */
export function tagguardClient<T extends grpc.Client>(
  address: string,
  protoFile: string,
  protoDir: string,
  path: string[],
  channel: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
): T {
  const file = join(protoDir, protoFile);
  let node: unknown = grpc.loadPackageDefinition(
    protoLoader.loadSync(file, { ...loaderOptions, includeDirs: [protoDir] }),
  );
  for (const key of path) node = (node as Record<string, unknown>)[key];
  return new (node as grpc.ServiceClientConstructor)(address, channel) as unknown as T;
}
