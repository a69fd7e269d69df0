CREATE TABLE "finops"."usage_counters" (
	"organization_id" uuid NOT NULL,
	"model" text NOT NULL,
	"http_status" integer NOT NULL,
	"outcome" text NOT NULL,
	"requests" bigint DEFAULT 0 NOT NULL,
	"input_tokens" bigint DEFAULT 0 NOT NULL,
	"output_tokens" bigint DEFAULT 0 NOT NULL,
	"charged_amount" numeric(30, 8) DEFAULT '0' NOT NULL,
	"duration_ms_sum" bigint DEFAULT 0 NOT NULL,
	"ttft_count" bigint DEFAULT 0 NOT NULL,
	"ttft_ms_sum" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "usage_counters_organization_id_model_http_status_outcome_pk" PRIMARY KEY("organization_id","model","http_status","outcome")
);
--> statement-breakpoint
CREATE TABLE "finops"."usage_histogram_buckets" (
	"organization_id" uuid NOT NULL,
	"model" text NOT NULL,
	"histogram" text NOT NULL,
	"le_ms" integer NOT NULL,
	"count" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "usage_histogram_buckets_organization_id_model_histogram_le_ms_pk" PRIMARY KEY("organization_id","model","histogram","le_ms")
);
--> statement-breakpoint
ALTER TABLE "finops"."usage_counters" ADD CONSTRAINT "usage_counters_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "finops"."usage_histogram_buckets" ADD CONSTRAINT "usage_histogram_buckets_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;