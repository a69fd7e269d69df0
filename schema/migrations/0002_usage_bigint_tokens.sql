ALTER TABLE "finops"."inference_usage" ALTER COLUMN "input_tokens" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "finops"."inference_usage" ALTER COLUMN "output_tokens" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "finops"."inference_usage" ALTER COLUMN "total_tokens" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "finops"."inference_usage" ALTER COLUMN "charged_amount" SET DATA TYPE numeric(24, 8);