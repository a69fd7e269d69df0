DROP INDEX "finops"."inference_usage_org_occurred";--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "models" text[];--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "previous_key_hash" text;--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "previous_key_expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "models" ADD COLUMN "context_length" integer;--> statement-breakpoint
ALTER TABLE "organizations" ADD COLUMN "is_platform" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "api_keys_org_created" ON "api_keys" USING btree ("organization_id","created_at","id");--> statement-breakpoint
CREATE INDEX "inference_usage_org_occurred" ON "finops"."inference_usage" USING btree ("consumer_organization_id","occurred_at","id");--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_previous_key_hash_unique" UNIQUE("previous_key_hash");