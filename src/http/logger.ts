import pino, { type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { Config } from '../config.ts';

// Structured fields of the request line: JSON lines keep them, the readable line already says them.
const REQUEST_LINE_FIELDS = 'method,url,statusCode,durationMs';

/**
 * Readable one-line logs on a terminal, JSON lines for log collectors. Every request's lines carry
 * its id (`reqId`, also sent as X-Request-Id); the readable form shows it at debug level and below.
 * `destination` replaces standard output, e.g. to read the lines in a test.
 */
export function createLogger(
  config: Pick<Config, 'logLevel' | 'logFormat'>,
  destination?: DestinationStream,
): Logger {
  if (config.logFormat === 'json')
    return destination === undefined
      ? pino({ level: config.logLevel })
      : pino({ level: config.logLevel }, destination);
  const showRequestIds = config.logLevel === 'debug' || config.logLevel === 'trace';
  const stream = pretty({
    colorize: destination === undefined && process.stdout.isTTY === true,
    translateTime: 'SYS:HH:MM:ss',
    ignore: `pid,hostname,reqId,${REQUEST_LINE_FIELDS}`,
    singleLine: true,
    sync: true,
    ...(showRequestIds ? { messageFormat: '{msg}{if reqId} [{reqId}]{end}' } : {}),
    ...(destination === undefined ? {} : { destination }),
  });
  return pino({ level: config.logLevel }, stream);
}
