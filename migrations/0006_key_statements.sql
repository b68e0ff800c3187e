CREATE TABLE `key_statements` (
	`publisher` text NOT NULL,
	`statement` integer NOT NULL,
	`payload_hash` text NOT NULL,
	`jws` text NOT NULL,
	`received_at` integer NOT NULL,
	PRIMARY KEY(`publisher`, `statement`)
);
