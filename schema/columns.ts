// Column helpers the table modules share.
import { bigint, timestamp } from "drizzle-orm/pg-core";

export const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();
export const counter = (name: string) => bigint(name, { mode: "number" }).notNull().default(0);
