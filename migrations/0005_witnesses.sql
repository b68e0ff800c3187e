CREATE TABLE `cosignatures` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`publisher` text NOT NULL,
	`witness` text NOT NULL,
	`size` integer NOT NULL,
	`root` text NOT NULL,
	`timestamp` integer NOT NULL,
	`note` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `cosignatures_publisher_witness` ON `cosignatures` (`publisher`,`witness`,`size`);--> statement-breakpoint
CREATE TABLE `evidence` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`publisher` text NOT NULL,
	`kind` text NOT NULL,
	`detail` text NOT NULL,
	`note_a` text NOT NULL,
	`note_b` text,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `witness_state` (
	`publisher` text PRIMARY KEY NOT NULL,
	`trusted_size` integer NOT NULL,
	`trusted_root` text NOT NULL,
	`trusted_note` text NOT NULL,
	`frozen_at` integer,
	`frozen_reason` text
);
