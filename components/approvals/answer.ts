/** What an agent question's answer box holds, as sent: a JSON object or list when it parses as one, else the text as typed. */
export function answerOf(text: string): unknown {
  const t = text.trim();
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      return JSON.parse(t) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}
