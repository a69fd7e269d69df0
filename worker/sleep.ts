/** Resolves after `ms`, on a timer of the calling request's own context (which keeps that request alive). */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
