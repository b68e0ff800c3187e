CREATE TABLE `prefix_lengths` (
	`family_length` text PRIMARY KEY NOT NULL
);
--> statement-breakpoint
CREATE INDEX `refusals_prefix` ON `refusals` (`prefix`);