ALTER TABLE "finops"."inference_usage" ADD COLUMN "audio_seconds" numeric(12, 3) DEFAULT '0' NOT NULL;--> statement-breakpoint
ALTER TABLE "finops"."inference_usage" ADD COLUMN "input_characters" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "finops"."inference_usage" ADD COLUMN "unit_price_per_audio_second" numeric(12, 6) DEFAULT '0' NOT NULL;--> statement-breakpoint
ALTER TABLE "finops"."inference_usage" ADD COLUMN "unit_price_per_character" numeric(12, 6) DEFAULT '0' NOT NULL;--> statement-breakpoint
ALTER TABLE "models" ADD COLUMN "price_per_audio_second" numeric(12, 6) DEFAULT '0' NOT NULL;--> statement-breakpoint
ALTER TABLE "models" ADD COLUMN "price_per_character" numeric(12, 6) DEFAULT '0' NOT NULL;--> statement-breakpoint
ALTER TABLE "organization_models" ADD COLUMN "price_per_audio_second" numeric(12, 6);--> statement-breakpoint
ALTER TABLE "organization_models" ADD COLUMN "price_per_character" numeric(12, 6);--> statement-breakpoint
ALTER TABLE "models" ADD CONSTRAINT "models_price_audio_second_non_negative" CHECK ("models"."price_per_audio_second" >= 0);--> statement-breakpoint
ALTER TABLE "models" ADD CONSTRAINT "models_price_character_non_negative" CHECK ("models"."price_per_character" >= 0);--> statement-breakpoint
ALTER TABLE "organization_models" ADD CONSTRAINT "organization_models_price_audio_second_non_negative" CHECK ("organization_models"."price_per_audio_second" >= 0);--> statement-breakpoint
ALTER TABLE "organization_models" ADD CONSTRAINT "organization_models_price_character_non_negative" CHECK ("organization_models"."price_per_character" >= 0);