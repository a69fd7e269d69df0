ALTER TABLE "instances" ADD COLUMN "host_api_key_sealed" text;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "failure_reason" text;