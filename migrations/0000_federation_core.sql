CREATE TABLE `batches` (
	`publisher` text NOT NULL,
	`seq` integer NOT NULL,
	`leaf_hash` text NOT NULL,
	`jws` text NOT NULL,
	`kid` text NOT NULL,
	`issued_at` integer NOT NULL,
	`entry_count` integer NOT NULL,
	`refused_count` integer NOT NULL,
	`received_at` integer NOT NULL,
	PRIMARY KEY(`publisher`, `seq`)
);
--> statement-breakpoint
CREATE TABLE `feeds` (
	`publisher` text PRIMARY KEY NOT NULL,
	`size` integer NOT NULL,
	`head` text,
	`updated_at` integer NOT NULL,
	`active_bound` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE `listings` (
	`key` text NOT NULL,
	`publisher` text NOT NULL,
	`prefix` text NOT NULL,
	`op` text NOT NULL,
	`first_seen` integer,
	`last_seen` integer,
	`reports` integer,
	`expires` integer,
	`category` text,
	`reason` text,
	`seq` integer NOT NULL,
	PRIMARY KEY(`key`, `publisher`)
);
--> statement-breakpoint
CREATE TABLE `peer_state` (
	`peer` text PRIMARY KEY NOT NULL,
	`last_attempt_at` integer,
	`last_success_at` integer,
	`last_source` text,
	`last_error_code` text,
	`last_error` text,
	`last_error_at` integer,
	`failures` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer,
	`lease_owner` text,
	`lease_until` integer
);
--> statement-breakpoint
CREATE TABLE `pull_failures` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`peer` text NOT NULL,
	`at` integer NOT NULL,
	`source` text,
	`seq` integer,
	`code` text NOT NULL,
	`message` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `pull_failures_peer` ON `pull_failures` (`peer`,`at`);--> statement-breakpoint
CREATE TABLE `refusals` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`publisher` text NOT NULL,
	`seq` integer,
	`entry_index` integer,
	`prefix` text,
	`code` text NOT NULL,
	`reason` text NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `refusals_publisher_code` ON `refusals` (`publisher`,`code`);--> statement-breakpoint
CREATE INDEX `refusals_code` ON `refusals` (`code`);--> statement-breakpoint
CREATE TABLE `report_queue` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`op` text NOT NULL,
	`prefix` text NOT NULL,
	`first_seen` integer NOT NULL,
	`last_seen` integer NOT NULL,
	`reports` integer NOT NULL,
	`expires` integer,
	`category` text,
	`reason` text,
	`queued_at` integer NOT NULL
);
