DROP INDEX "chat_sessions_org_last_used";--> statement-breakpoint
CREATE INDEX "chat_sessions_org_created" ON "chat_sessions" USING btree ("organization_id","created_at","session_key");--> statement-breakpoint
CREATE INDEX "inference_usage_api_key_occurred" ON "finops"."inference_usage" USING btree ("api_key_id","occurred_at");--> statement-breakpoint
CREATE INDEX "inference_usage_instance_occurred" ON "finops"."inference_usage" USING btree ("instance_id","occurred_at");--> statement-breakpoint
CREATE INDEX "inference_usage_x_request_id" ON "finops"."inference_usage" USING btree (("metadata"->>'x_request_id'));--> statement-breakpoint
ALTER TABLE "models" ADD CONSTRAINT "models_price_input_non_negative" CHECK ("models"."price_input_per_1k" >= 0);--> statement-breakpoint
ALTER TABLE "models" ADD CONSTRAINT "models_price_output_non_negative" CHECK ("models"."price_output_per_1k" >= 0);--> statement-breakpoint
ALTER TABLE "organization_models" ADD CONSTRAINT "organization_models_price_input_non_negative" CHECK ("organization_models"."price_input_per_1k" >= 0);--> statement-breakpoint
ALTER TABLE "organization_models" ADD CONSTRAINT "organization_models_price_output_non_negative" CHECK ("organization_models"."price_output_per_1k" >= 0);