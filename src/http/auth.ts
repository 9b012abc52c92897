/** Bearer-token checks for the endpoints that need one when `listen.token` is set. */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

/** True when no token is configured, or the request carries it. Constant-time, so the token cannot be guessed byte by byte. */
export function hasValidToken(request: FastifyRequest, token: string): boolean {
  if (token === '') return true;
  const header = request.headers.authorization ?? '';
  const match = /^Bearer\s+(.+)$/i.exec(header);
  if (!match) return false;
  const given = Buffer.from(match[1]!.trim());
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function isLoopback(ip: string): boolean {
  return ip === '127.0.0.1' || ip === '::1' || ip === '::ffff:127.0.0.1' || ip.startsWith('127.');
}
