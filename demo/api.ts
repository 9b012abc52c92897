/** The users' side of the API stub: clicking "Generate avatar", and the browser polling for the result. */
export interface Created {
  id: string;
  /** The user's balance after the charge; null without Postgres. */
  balance: number | null;
}

export class ApiClient {
  constructor(readonly url: string) {}

  async generate(userId: string): Promise<Created> {
    const res = await fetch(`${this.url}/avatars`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId }),
      signal: AbortSignal.timeout(5_000),
    });
    if (res.status !== 202) throw new Error(`POST /avatars for ${userId}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as Created;
  }

  async status(id: string): Promise<string> {
    const res = await fetch(`${this.url}/avatars/${id}`, { signal: AbortSignal.timeout(5_000) });
    if (res.status !== 200) throw new Error(`GET /avatars/${id}: HTTP ${res.status}`);
    return ((await res.json()) as { status: string }).status;
  }

  async ready(): Promise<boolean> {
    const res = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(2_000) });
    return res.status === 200;
  }
}
