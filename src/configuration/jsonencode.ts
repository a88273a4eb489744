/**
 * The value of `${jsonencode(<literal>)}`, as HCL converted to JSON leaves it (IAM policies and
 * container definitions are usually written so). Object, list, string, number and bool literals
 * are read; a bare reference becomes a `${…}` string; anything else (function calls) → undefined.
 */
export function jsonencodeValue(value: unknown): unknown {
  if (typeof value !== 'string') return undefined
  const match = /^\$\{\s*jsonencode\(([\s\S]*)\)\s*\}$/.exec(value)
  if (!match) return undefined
  try {
    const parser = new HclLiteralParser(match[1]!)
    const result = parser.value()
    parser.end()
    return result
  } catch {
    return undefined
  }
}

class HclLiteralParser {
  private position = 0
  private readonly text: string

  constructor(text: string) {
    this.text = text
  }

  end(): void {
    this.skip()
    if (this.position !== this.text.length) throw new Error('trailing text')
  }

  value(): unknown {
    this.skip()
    const char = this.text[this.position]
    if (char === '{') return this.object()
    if (char === '[') return this.list()
    if (char === '"') return this.string()
    const word = /^[\w.\-[\]*]+/.exec(this.text.slice(this.position))?.[0]
    if (!word) throw new Error(`unexpected ${char}`)
    this.position += word.length
    if (this.text[this.position] === '(') throw new Error('function call')
    if (word === 'true' || word === 'false') return word === 'true'
    if (word === 'null') return null
    if (/^-?\d+(\.\d+)?$/.test(word)) return Number(word)
    return `\${${word}}`
  }

  private skip(): void {
    for (;;) {
      const rest = this.text.slice(this.position)
      const space = /^(\s+|#[^\n]*|\/\/[^\n]*)/.exec(rest)
      if (!space) return
      this.position += space[0].length
    }
  }

  private object(): Record<string, unknown> {
    const object: Record<string, unknown> = {}
    this.position++
    for (;;) {
      this.skip()
      if (this.text[this.position] === ',') {
        this.position++
        continue
      }
      if (this.text[this.position] === '}') {
        this.position++
        return object
      }
      const key = this.text[this.position] === '"' ? this.string() : /^[\w-]+/.exec(this.text.slice(this.position))?.[0]
      if (key === undefined || key === '') throw new Error('bad key')
      if (this.text[this.position - 1] !== '"') this.position += key.length
      this.skip()
      const separator = this.text[this.position]
      if (separator !== '=' && separator !== ':') throw new Error('expected =')
      this.position++
      object[key] = this.value()
    }
  }

  private list(): unknown[] {
    const items: unknown[] = []
    this.position++
    for (;;) {
      this.skip()
      if (this.text[this.position] === ',') {
        this.position++
        continue
      }
      if (this.text[this.position] === ']') {
        this.position++
        return items
      }
      items.push(this.value())
    }
  }

  private string(): string {
    let result = ''
    this.position++
    while (this.position < this.text.length) {
      const char = this.text[this.position]!
      if (char === '"') {
        this.position++
        return result
      }
      if (char === '\\') {
        const next = this.text[this.position + 1]
        result += next === 'n' ? '\n' : next === 't' ? '\t' : (next ?? '')
        this.position += 2
        continue
      }
      result += char
      this.position++
    }
    throw new Error('unterminated string')
  }
}
