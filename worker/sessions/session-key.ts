// What a session key (the X-Inventiv-Session value) may be: checked wherever one comes in, so
// nothing else (a NUL byte, which Postgres refuses in text) can reach a query.
export const SESSION_KEY = /^[\w.:-]{1,128}$/;
export const SESSION_KEY_RULE = "1–128 characters of letters, digits, `_.:-`";
