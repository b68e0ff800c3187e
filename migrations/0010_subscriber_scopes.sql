CREATE TABLE `mail_reports` (
	`subscriber_id` integer NOT NULL,
	`day` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`sent_at` integer,
	`next_attempt_at` integer,
	`last_error` text,
	PRIMARY KEY(`subscriber_id`, `day`)
);
--> statement-breakpoint
ALTER TABLE `subscribers` ADD `scope` text;--> statement-breakpoint
ALTER TABLE `subscribers` ADD `contact` text;