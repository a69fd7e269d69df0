// The shape of the ids Postgres gives rows (uuid), checked before a query: anything else is not found.
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
