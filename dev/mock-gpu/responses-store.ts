// The Responses API's memory, as vLLM keeps it: in the process, per host, lost on restart.
// A follow-up (`previous_response_id`) or a retrieval reaching another host finds nothing.

export interface StoredResponse {
  /** The Response object as last sent (status, output, usage). */
  body: Record<string, unknown>;
  /** The conversation up to and including this response, for a follow-up's prompt. */
  transcriptChars: number;
}

export class ResponseStore {
  private readonly items = new Map<string, StoredResponse>();

  get(id: string): StoredResponse | undefined {
    return this.items.get(id);
  }

  put(id: string, item: StoredResponse): void {
    this.items.set(id, item);
  }

  delete(id: string): boolean {
    return this.items.delete(id);
  }

  get size(): number {
    return this.items.size;
  }
}
