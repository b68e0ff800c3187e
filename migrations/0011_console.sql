CREATE TABLE `list_size_hours` (
	`hour` integer PRIMARY KEY NOT NULL,
	`listed` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `listing_months` (
	`month` text NOT NULL,
	`source` text NOT NULL,
	`started` integer DEFAULT 0 NOT NULL,
	`ended` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`month`, `source`)
);
--> statement-breakpoint
CREATE TABLE `refusal_months` (
	`month` text NOT NULL,
	`publisher` text NOT NULL,
	`code` text NOT NULL,
	`count` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`month`, `publisher`, `code`)
);
--> statement-breakpoint
CREATE TABLE `removal_requests` (
	`id` text PRIMARY KEY NOT NULL,
	`address` text NOT NULL,
	`contact` text NOT NULL,
	`message` text NOT NULL,
	`client` text NOT NULL,
	`created_at` integer NOT NULL,
	`status` text DEFAULT 'open' NOT NULL,
	`decided_at` integer,
	`decision_note` text
);
--> statement-breakpoint
CREATE INDEX `removal_requests_address` ON `removal_requests` (`address`,`created_at`);--> statement-breakpoint
CREATE INDEX `removal_requests_client` ON `removal_requests` (`client`,`created_at`);--> statement-breakpoint
CREATE INDEX `removal_requests_status` ON `removal_requests` (`status`,`created_at`);--> statement-breakpoint
CREATE TABLE `subscriber_usage` (
	`subscriber_id` integer NOT NULL,
	`hour` integer NOT NULL,
	`requests` integer DEFAULT 0 NOT NULL,
	`limited` integer DEFAULT 0 NOT NULL,
	`last_used_at` integer NOT NULL,
	PRIMARY KEY(`subscriber_id`, `hour`)
);
