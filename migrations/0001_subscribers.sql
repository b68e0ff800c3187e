CREATE TABLE `changes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`op` text NOT NULL,
	`key` text NOT NULL,
	`prefix` text NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `decision_streams` (
	`subscriber_id` integer PRIMARY KEY NOT NULL,
	`cursor` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `effective` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`key` text NOT NULL,
	`prefix` text NOT NULL,
	`refs` integer NOT NULL,
	`first_seen` integer NOT NULL,
	`last_seen` integer NOT NULL,
	`reports` integer NOT NULL,
	`expires` integer NOT NULL,
	`next_expiry` integer NOT NULL,
	`sources` text NOT NULL,
	`source_count` integer NOT NULL,
	`listed_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `effective_key_unique` ON `effective` (`key`);--> statement-breakpoint
CREATE INDEX `effective_next_expiry` ON `effective` (`next_expiry`);--> statement-breakpoint
CREATE TABLE `meta` (
	`name` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `origin_pieces` (
	`origin` text NOT NULL,
	`piece` text NOT NULL,
	PRIMARY KEY(`origin`, `piece`)
);
--> statement-breakpoint
CREATE TABLE `pending_keys` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`keys` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `subscribers` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`key_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `subscribers_name_unique` ON `subscribers` (`name`);--> statement-breakpoint
CREATE UNIQUE INDEX `subscribers_key_hash_unique` ON `subscribers` (`key_hash`);