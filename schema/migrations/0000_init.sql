CREATE SCHEMA "finops";
--> statement-breakpoint
CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"name" text NOT NULL,
	"key_prefix" text NOT NULL,
	"key_hash" text NOT NULL,
	"role" text DEFAULT 'member' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone,
	"last_used_at" timestamp with time zone,
	CONSTRAINT "api_keys_key_hash_unique" UNIQUE("key_hash")
);
--> statement-breakpoint
CREATE TABLE "chat_sessions" (
	"organization_id" uuid NOT NULL,
	"session_key" text NOT NULL,
	"model_id" uuid,
	"instance_id" uuid,
	"request_count" bigint DEFAULT 0 NOT NULL,
	"total_tokens" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "chat_sessions_organization_id_session_key_pk" PRIMARY KEY("organization_id","session_key")
);
--> statement-breakpoint
CREATE TABLE "finops"."inference_usage" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"request_id" text NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"api_key_id" uuid,
	"consumer_organization_id" uuid,
	"organization_model_id" uuid,
	"model_id" uuid NOT NULL,
	"instance_id" uuid,
	"endpoint" text NOT NULL,
	"status" text NOT NULL,
	"input_tokens" integer DEFAULT 0 NOT NULL,
	"output_tokens" integer DEFAULT 0 NOT NULL,
	"total_tokens" integer DEFAULT 0 NOT NULL,
	"usage_estimated" boolean DEFAULT false NOT NULL,
	"unit_price_input_per_1k" numeric(12, 6) NOT NULL,
	"unit_price_output_per_1k" numeric(12, 6) NOT NULL,
	"charged_amount" numeric(18, 8) NOT NULL,
	"currency" text DEFAULT 'USD' NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "inference_usage_request_id_unique" UNIQUE("request_id")
);
--> statement-breakpoint
CREATE TABLE "instance_request_metrics" (
	"instance_id" uuid PRIMARY KEY NOT NULL,
	"total_requests" bigint DEFAULT 0 NOT NULL,
	"successful_requests" bigint DEFAULT 0 NOT NULL,
	"failed_requests" bigint DEFAULT 0 NOT NULL,
	"aborted_requests" bigint DEFAULT 0 NOT NULL,
	"total_input_tokens" bigint DEFAULT 0 NOT NULL,
	"total_output_tokens" bigint DEFAULT 0 NOT NULL,
	"total_tokens" bigint DEFAULT 0 NOT NULL,
	"input_tokens" bigint GENERATED ALWAYS AS (total_input_tokens) STORED,
	"output_tokens" bigint GENERATED ALWAYS AS (total_output_tokens) STORED,
	"first_request_at" timestamp with time zone,
	"last_request_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "instances" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"model_id" uuid NOT NULL,
	"provider" text DEFAULT 'static' NOT NULL,
	"base_url" text NOT NULL,
	"status" text DEFAULT 'booting' NOT NULL,
	"worker_token_hash" text NOT NULL,
	"worker_id" text,
	"worker_status" text,
	"worker_model_id" text,
	"worker_queue_depth" integer DEFAULT 0 NOT NULL,
	"worker_last_heartbeat" timestamp with time zone,
	"gpu_utilization" real,
	"gpu_mem_used_mb" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "instances_worker_token_hash_unique" UNIQUE("worker_token_hash")
);
--> statement-breakpoint
CREATE TABLE "models" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"model_id" text NOT NULL,
	"name" text NOT NULL,
	"is_active" boolean DEFAULT true NOT NULL,
	"price_input_per_1k" numeric(12, 6) DEFAULT '0' NOT NULL,
	"price_output_per_1k" numeric(12, 6) DEFAULT '0' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "models_model_id_unique" UNIQUE("model_id")
);
--> statement-breakpoint
CREATE TABLE "organization_models" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"model_id" uuid NOT NULL,
	"code" text NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"price_input_per_1k" numeric(12, 6),
	"price_output_per_1k" numeric(12, 6),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "organizations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"slug" text NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "organizations_slug_unique" UNIQUE("slug")
);
--> statement-breakpoint
CREATE TABLE "runtime_models" (
	"model_id" text PRIMARY KEY NOT NULL,
	"first_seen_at" timestamp with time zone NOT NULL,
	"last_seen_at" timestamp with time zone NOT NULL,
	"total_requests" bigint DEFAULT 0 NOT NULL,
	"failed_requests" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "chat_sessions" ADD CONSTRAINT "chat_sessions_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "chat_sessions" ADD CONSTRAINT "chat_sessions_model_id_models_id_fk" FOREIGN KEY ("model_id") REFERENCES "public"."models"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "chat_sessions" ADD CONSTRAINT "chat_sessions_instance_id_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."instances"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "finops"."inference_usage" ADD CONSTRAINT "inference_usage_api_key_id_api_keys_id_fk" FOREIGN KEY ("api_key_id") REFERENCES "public"."api_keys"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "finops"."inference_usage" ADD CONSTRAINT "inference_usage_consumer_organization_id_organizations_id_fk" FOREIGN KEY ("consumer_organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "finops"."inference_usage" ADD CONSTRAINT "inference_usage_organization_model_id_organization_models_id_fk" FOREIGN KEY ("organization_model_id") REFERENCES "public"."organization_models"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "finops"."inference_usage" ADD CONSTRAINT "inference_usage_model_id_models_id_fk" FOREIGN KEY ("model_id") REFERENCES "public"."models"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "finops"."inference_usage" ADD CONSTRAINT "inference_usage_instance_id_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."instances"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instance_request_metrics" ADD CONSTRAINT "instance_request_metrics_instance_id_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."instances"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instances" ADD CONSTRAINT "instances_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instances" ADD CONSTRAINT "instances_model_id_models_id_fk" FOREIGN KEY ("model_id") REFERENCES "public"."models"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "organization_models" ADD CONSTRAINT "organization_models_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "organization_models" ADD CONSTRAINT "organization_models_model_id_models_id_fk" FOREIGN KEY ("model_id") REFERENCES "public"."models"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "chat_sessions_org_last_used" ON "chat_sessions" USING btree ("organization_id","last_used_at");--> statement-breakpoint
CREATE INDEX "inference_usage_created_at" ON "finops"."inference_usage" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "inference_usage_org_occurred" ON "finops"."inference_usage" USING btree ("consumer_organization_id","occurred_at");--> statement-breakpoint
CREATE INDEX "instances_model_status" ON "instances" USING btree ("model_id","status");--> statement-breakpoint
CREATE UNIQUE INDEX "organization_models_org_code" ON "organization_models" USING btree ("organization_id","code");