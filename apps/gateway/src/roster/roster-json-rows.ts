import { ApiError } from '@kb4/platform';

/** One element of `users`, as text, with its 1-based position. */
export interface RawJsonRow {
  line: number;
  text: string;
}

type State = 'start' | 'key' | 'colon' | 'array-open' | 'element' | 'after-element' | 'close' | 'done';

const WHITESPACE = /\s/;

function badBody(message: string): ApiError {
  return new ApiError(400, `roster body: ${message}; send {"users": [{...}, ...]}`, [{ field: 'users', location: 'body', errors: [message] }]);
}

/**
 * Splits `{"users": [ {...}, {...} ]}` into the text of each element as chunks arrive, so the body is never held
 * whole: only the element being read is buffered, and an element longer than `maxRowChars` is refused. Each element is
 * parsed on its own by the caller (JSON.parse, bounded by the row limit). Any other top-level shape is a 400.
 */
export class RosterJsonSplitter {
  private state: State = 'start';
  private key = '';
  private element = '';
  private depth = 0;
  private inString = false;
  private escaped = false;
  private count = 0;

  constructor(private readonly maxRowChars: number) {}

  push(chunk: string): RawJsonRow[] {
    const rows: RawJsonRow[] = [];
    for (const char of chunk) {
      if (this.state === 'element') this.elementChar(char, rows);
      else this.structureChar(char);
    }
    return rows;
  }

  end(): void {
    if (this.state !== 'done') throw badBody('the body ended before the users array and the object were closed');
  }

  private elementChar(char: string, rows: RawJsonRow[]): void {
    this.element += char;
    if (this.element.length > this.maxRowChars) {
      throw new ApiError(413, `users[${this.count}] (line ${this.count + 1}) is longer than ${this.maxRowChars} characters`);
    }
    if (this.inString) {
      if (this.escaped) this.escaped = false;
      else if (char === '\\') this.escaped = true;
      else if (char === '"') this.inString = false;
      return;
    }
    if (char === '"') this.inString = true;
    else if (char === '{' || char === '[') this.depth++;
    else if (char === '}' || char === ']') this.depth--;
    if (this.depth === 0) {
      this.count++;
      rows.push({ line: this.count, text: this.element });
      this.element = '';
      this.state = 'after-element';
    }
  }

  private structureChar(char: string): void {
    if (WHITESPACE.test(char) || char === '\ufeff') return;
    switch (this.state) {
      case 'start':
        return this.expect(char, '{', 'key', 'the body must be a JSON object');
      case 'key':
        return this.keyChar(char);
      case 'colon':
        return this.expect(char, ':', 'array-open', 'malformed JSON after a key');
      case 'array-open':
        return this.expect(char, '[', 'after-element', '"users" must be an array of user objects', () => (this.count = 0));
      case 'after-element':
        return this.afterElement(char);
      case 'close':
        return this.expect(char, '}', 'done', '"users" must be the only field of the body');
      default:
        throw badBody('unexpected data after the end of the JSON object');
    }
  }

  private keyChar(char: string): void {
    if (this.key === '' && char !== '"') throw badBody(char === '}' ? 'the body has no "users" array' : 'malformed JSON where a key was expected');
    if (this.key !== '' && char === '"') {
      if (this.key !== '"users') throw badBody(`unknown body field ${JSON.stringify(this.key.slice(1, 65))}`);
      this.state = 'colon';
      return;
    }
    this.key += char;
    if (this.key.length > 64) throw badBody('unknown body field');
  }

  private afterElement(char: string): void {
    if (char === ']' && this.element !== ',') {
      this.state = 'close';
    } else if (char === '{' && (this.count === 0 || this.element === ',')) {
      this.element = '{';
      this.depth = 1;
      this.state = 'element';
    } else if (char === ',' && this.count > 0 && this.element === '') {
      this.element = ',';
    } else {
      throw badBody(`users[${this.count}] must be an object`);
    }
  }

  private expect(char: string, wanted: string, next: State, message: string, then?: () => void): void {
    if (char !== wanted) throw badBody(message);
    this.state = next;
    then?.();
  }
}
