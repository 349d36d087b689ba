/**
 * Where Redis is, as the queue's options say it, and the connection options BullMQ gets for it.
 * Free of BullMQ's types, so that the package's declarations never need them.
 */
import { ErrorCode, QpError } from '../errors';

/** Where Redis is: a redis:// URL, or host and port. */
export type RedisConnection = string | { host?: string; port?: number; password?: string; db?: number; username?: string };

/**
 * BullMQ's connection options. maxRetriesPerRequest null: a command waits for a reconnect
 * instead of failing (BullMQ requires it of workers; producers want it across a Redis restart).
 */
export function connectionOptions(redis: RedisConnection): Record<string, unknown> {
  if (typeof redis === 'string') {
    let url: URL;
    try {
      url = new URL(redis);
    } catch {
      throw new QpError(
        ErrorCode.INVALID_OPTION,
        `options.redis: must be a redis:// URL or { host, port } (got ${JSON.stringify(redis)})`,
        { field: 'options.redis', value: redis },
      );
    }
    if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
      throw new QpError(ErrorCode.INVALID_OPTION, `options.redis: must be a redis:// or rediss:// URL (got ${JSON.stringify(redis)})`, {
        field: 'options.redis',
        value: redis,
      });
    }
    const o: Record<string, unknown> = {
      host: url.hostname || '127.0.0.1',
      port: url.port ? Number(url.port) : 6379,
      maxRetriesPerRequest: null,
    };
    if (url.password) o.password = decodeURIComponent(url.password);
    if (url.username) o.username = decodeURIComponent(url.username);
    const db = url.pathname.replace(/^\//, '');
    if (db) o.db = Number(db);
    if (url.protocol === 'rediss:') o.tls = {};
    return o as Record<string, unknown>;
  }
  if (typeof redis !== 'object' || redis === null) {
    throw new QpError(ErrorCode.INVALID_OPTION, 'options.redis: must be a redis:// URL or { host, port }', {
      field: 'options.redis',
      value: redis,
    });
  }
  return { ...redis, maxRetriesPerRequest: null } as Record<string, unknown>;
}
