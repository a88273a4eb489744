/**
 * Everything piped on stdin, without one trailing newline (what `echo` and most files add). Used
 * for secret values in CI, where nothing may prompt.
 */
export async function readStdinValue(stream: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '')
}
