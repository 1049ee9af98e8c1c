import { createServer, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;

interface Connection {
  id: number;
  socket: Socket;
  buffer: Buffer;
  startupDone: boolean;
  /** Messages of the protocol unit being received, sent to PGlite together. */
  pending: Uint8Array[];
  closed: boolean;
}

interface Unit {
  connection: Connection;
  messages: Uint8Array[];
  /** Answered here with this error instead of being run (what PGlite cannot do over the wire). */
  refusal?: string;
}

// PGlite runs one message at a time; COPY … FROM STDIN needs the client's data while the statement runs,
// and trying it leaves the session broken for every client.
const COPY_FROM_STDIN = /^\s*copy\b[\s\S]*\bfrom\s+stdin\b/i;

/**
 * Serves one PGlite session to many PostgreSQL clients. PGlite has a single session, so clients must
 * take turns at boundaries where the session holds none of their state: a whole simple query, or a whole
 * extended-protocol exchange up to its Sync (Parse/Bind/Execute of two clients must never interleave:
 * they share the unnamed statement), and, while a transaction is open, only its owner's units run.
 * That is what makes a pg Pool and TypeORM work on it unchanged.
 */
export class WireMultiplexer {
  private readonly queue: Unit[] = [];
  private owner: Connection | undefined;
  private running = false;
  private nextId = 1;
  private readonly connections = new Set<Connection>();
  private readonly server: Server;

  constructor(private readonly db: PGlite) {
    this.server = createServer((socket) => this.accept(socket));
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        const address = this.server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    const connection: Connection = {
      id: this.nextId++,
      socket,
      buffer: Buffer.alloc(0),
      startupDone: false,
      pending: [],
      closed: false,
    };
    this.connections.add(connection);
    socket.on('data', (data) => {
      connection.buffer = Buffer.concat([connection.buffer, data]);
      this.frame(connection);
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => void this.disconnect(connection));
  }

  private frame(c: Connection): void {
    for (;;) {
      if (!c.startupDone) {
        if (c.buffer.length < 8) return;
        const length = c.buffer.readInt32BE(0);
        if (c.buffer.length < length) return;
        const code = c.buffer.readInt32BE(4);
        const message = c.buffer.subarray(0, length);
        c.buffer = c.buffer.subarray(length);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          c.socket.write('N');
          continue;
        }
        if (code === CANCEL_REQUEST) {
          c.socket.end();
          return;
        }
        c.startupDone = true;
        this.enqueue({ connection: c, messages: [new Uint8Array(message)] });
        continue;
      }
      if (c.buffer.length < 5) return;
      const length = 1 + c.buffer.readInt32BE(1);
      if (c.buffer.length < length) return;
      const type = String.fromCharCode(c.buffer[0]!);
      const message = new Uint8Array(c.buffer.subarray(0, length));
      c.buffer = c.buffer.subarray(length);
      if (type === 'X') {
        c.socket.end();
        return;
      }
      if (type === 'Q' && COPY_FROM_STDIN.test(queryText(message))) {
        this.enqueue({
          connection: c,
          messages: [],
          refusal: 'COPY FROM STDIN is not supported by the embedded PostgreSQL (PGlite); use INSERT',
        });
        continue;
      }
      c.pending.push(message);
      // A unit ends with a simple query or a Sync; everything before a Sync belongs to it.
      if (type === 'Q' || type === 'S') {
        this.enqueue({ connection: c, messages: c.pending });
        c.pending = [];
      }
    }
  }

  private enqueue(unit: Unit): void {
    this.queue.push(unit);
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        const index = this.owner ? this.queue.findIndex((u) => u.connection === this.owner) : 0;
        if (index < 0 || this.queue.length === 0) return;
        const [unit] = this.queue.splice(index, 1);
        await this.execute(unit!);
        this.owner = this.db.isInTransaction() ? unit!.connection : undefined;
      }
    } finally {
      this.running = false;
    }
  }

  private async execute(unit: Unit): Promise<void> {
    const { socket } = unit.connection;
    if (unit.refusal !== undefined) {
      // An error inside a transaction fails it, as on a server: the client then rolls back.
      if (!socket.destroyed) socket.write(refusal(unit.refusal, this.db.isInTransaction() ? 'E' : 'I'));
      return;
    }
    try {
      await this.db.runExclusive(async () => {
        for (const message of unit.messages) {
          await this.db.execProtocolRawStream(message, {
            onRawData: (chunk: Uint8Array) => {
              if (chunk.length > 0 && !socket.destroyed) socket.write(Buffer.from(chunk));
            },
          });
        }
      });
    } catch {
      socket.destroy();
    }
  }

  private async disconnect(c: Connection): Promise<void> {
    if (c.closed) return;
    c.closed = true;
    this.connections.delete(c);
    for (let i = this.queue.length - 1; i >= 0; i--)
      if (this.queue[i]!.connection === c) this.queue.splice(i, 1);
    if (this.owner === c) {
      // The client went away inside a transaction: end it, or every other client waits forever.
      this.owner = undefined;
      if (this.db.isInTransaction()) await this.db.exec('ROLLBACK').catch(() => undefined);
    }
    void this.drain();
  }
}

function queryText(message: Uint8Array): string {
  return Buffer.from(message.subarray(5, message.length - 1)).toString('utf8');
}

/** ErrorResponse (SQLSTATE 0A000 feature_not_supported) followed by ReadyForQuery. */
function refusal(text: string, status: 'I' | 'E'): Buffer {
  const fields = Buffer.from(`SERROR\0VERROR\0C0A000\0M${text}\0\0`, 'utf8');
  const error = Buffer.alloc(5);
  error.write('E', 0);
  error.writeInt32BE(4 + fields.length, 1);
  const ready = Buffer.from([0x5a, 0, 0, 0, 5, status.charCodeAt(0)]);
  return Buffer.concat([error, fields, ready]);
}
