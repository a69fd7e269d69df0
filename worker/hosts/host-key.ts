// A host's own vLLM API key, sealed for storage: AES-256-GCM (Web Crypto) under HOST_KEY_ENCRYPTION_KEY,
// bound to its instance id (additional data), so a sealed key copied onto another row does not open.
// Format: `v1.<iv base64url>.<ciphertext+tag base64url>`; the version leaves room for key rotation.

const VERSION = "v1";
const encoder = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();

export class HostKeyError extends Error {}

const toBase64Url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");

function fromBase64(text: string): Uint8Array {
  const b64 = text.replaceAll("-", "+").replaceAll("_", "/");
  return Uint8Array.from(atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4)), (c) => c.charCodeAt(0));
}

/** The secret is 32 random bytes in base64 (`openssl rand -base64 32`); anything else is refused. */
function sealingKey(secret: string | undefined): Promise<CryptoKey> {
  if (!secret) throw new HostKeyError("HOST_KEY_ENCRYPTION_KEY is not set.");
  let key = keys.get(secret);
  if (!key) {
    let raw: Uint8Array;
    try {
      raw = fromBase64(secret.trim());
    } catch {
      throw new HostKeyError("HOST_KEY_ENCRYPTION_KEY must be base64 (openssl rand -base64 32).");
    }
    if (raw.length !== 32) throw new HostKeyError("HOST_KEY_ENCRYPTION_KEY must decode to 32 bytes.");
    key = crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
    keys.set(secret, key);
  }
  return key;
}

export async function sealHostKey(plain: string, secret: string | undefined, instanceId: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: encoder.encode(instanceId) },
    await sealingKey(secret),
    encoder.encode(plain),
  );
  return `${VERSION}.${toBase64Url(iv)}.${toBase64Url(new Uint8Array(sealed))}`;
}

/** Throws HostKeyError when the text is not a sealed key for this instance under this secret. */
export async function openHostKey(sealed: string, secret: string | undefined, instanceId: string): Promise<string> {
  const [version, iv, data] = sealed.split(".");
  if (version !== VERSION || !iv || !data) throw new HostKeyError("not a sealed host key");
  const key = await sealingKey(secret);
  try {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: fromBase64(iv), additionalData: encoder.encode(instanceId) },
      key,
      fromBase64(data),
    );
    return new TextDecoder().decode(plain);
  } catch {
    throw new HostKeyError("the sealed host key does not open (another secret, instance or tampered)");
  }
}
