CREATE TABLE `zone_secondaries` (
	`secondary` text PRIMARY KEY NOT NULL,
	`last_serial` integer,
	`last_ack_at` integer,
	`last_transfer_at` integer,
	`last_transfer_kind` text,
	`refused` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`last_error_at` integer
);
