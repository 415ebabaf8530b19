import { createLogger, type Logger, type LogSink } from '../../common/log.js';

export interface LogLine {
  level: string;
  msg: string;
  [field: string]: unknown;
}

/** A real logger writing into memory, so a test can read what a component logged. */
export class LogLines implements LogSink {
  readonly lines: LogLine[] = [];
  readonly logger: Logger = createLogger('test', this, 'debug');

  write(line: string): void {
    this.lines.push(JSON.parse(line) as LogLine);
  }

  at(level: string): LogLine[] {
    return this.lines.filter((l) => l.level === level);
  }
}
