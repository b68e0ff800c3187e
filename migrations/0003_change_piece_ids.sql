ALTER TABLE `changes` ADD `piece_id` integer;--> statement-breakpoint
ALTER TABLE `changes` ADD `sources` text;