CREATE TABLE `partner_access` (
	`partner` text NOT NULL,
	`outcome` text NOT NULL,
	`count` integer DEFAULT 0 NOT NULL,
	`last_at` integer NOT NULL,
	PRIMARY KEY(`partner`, `outcome`)
);
--> statement-breakpoint
CREATE TABLE `sealed_inner` (
	`publisher` text NOT NULL,
	`seq` integer NOT NULL,
	`jws` text NOT NULL,
	PRIMARY KEY(`publisher`, `seq`)
);
--> statement-breakpoint
ALTER TABLE `batches` ADD `tlp` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `batches` ADD `recipients` text;--> statement-breakpoint
ALTER TABLE `changes` ADD `tlp` integer;--> statement-breakpoint
ALTER TABLE `effective` ADD `tlp` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
CREATE INDEX `effective_restricted` ON `effective` (`key`) WHERE "effective"."tlp" > 1;--> statement-breakpoint
ALTER TABLE `listings` ADD `tlp` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `report_queue` ADD `tlp` integer;--> statement-breakpoint
ALTER TABLE `report_queue` ADD `recipients` text;