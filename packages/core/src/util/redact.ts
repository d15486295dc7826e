/** Replaces every occurrence of each secret (and its Basic-auth/base64 forms) in `text` with `***`. */
export function redact(text: string, secrets: Iterable<string | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret || secret.length < 4) continue;
    // Longest first: the Basic-auth form can contain the shorter ones.
    const forms = [secret, Buffer.from(secret).toString('base64'), Buffer.from(`x-access-token:${secret}`).toString('base64')].sort((a, b) => b.length - a.length);
    for (const form of forms) {
      out = out.split(form).join('***');
    }
  }
  return out;
}
